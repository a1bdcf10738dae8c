{#- Bounded memory for the per-contact models (issue 9). A contact's rows depend only on that
    contact's own inputs (the reason a night can resolve only int_contacts__affected), so the
    affected contacts can just as well be resolved a slice at a time: the model's query runs once
    per hash bucket of contact_key, and each run's windows, joins and materialized CTEs hold one
    bucket. Without it a full refresh at 10M events spilled 50 GB to the temp folder in the
    resolver alone and filled the disk.

    The number of buckets is the affected contacts' events divided by CONSENT_LEDGER_BUCKET_EVENTS
    (rounded up; one bucket, the plain query, when they fit). The model's own query is bucket 0
    (per_contact_incremental_config's strategy creates or merges it as before); the post-hook
    insert_contact_buckets() runs the same compiled query for buckets 1..n-1, after the pre-hook
    already removed every affected contact's rows. -#}

{#- The marker in the compiled SQL that says which bucket a query reads: bucket b renders as
    `<marker>b`, and insert_contact_buckets() swaps `<marker>0` for the next bucket. -#}
{% macro contact_bucket_marker() -%}
    {{ return('/* contact bucket */ ') }}
{%- endmacro %}

{#- How many buckets this model's build splits the affected contacts into: 1 outside a per-contact
    model's run (parse, unit tests, other models). Read at run time from int_contacts__affected,
    which the per-contact models declare they depend on, so the model and its post-hook agree. -#}
{% macro contact_bucket_count() -%}
    {%- if not execute or this is none or not config.get('contact_buckets') -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set per_bucket = env_var('CONSENT_LEDGER_BUCKET_EVENTS', '500000') | int -%}
    {%- if per_bucket < 1 -%}
        {{ exceptions.raise_compiler_error("CONSENT_LEDGER_BUCKET_EVENTS must be a positive number of events, got " ~ env_var('CONSENT_LEDGER_BUCKET_EVENTS')) }}
    {%- endif -%}
    {%- set affected = load_relation(ref('int_contacts__affected')) -%}
    {%- if affected is none -%}
        {#- compiled before anything was built (SQL lint, docs): the plain query -#}
        {{ return(1) }}
    {%- endif -%}
    {%- set events = query_values("select coalesce(sum(event_count), 0) from " ~ affected)[0] | int -%}
    {{ return([1, ((events + per_bucket - 1) // per_bucket) | int] | max) }}
{%- endmacro %}

{#- A condition: the row's contact falls in bucket `bucket` of `buckets`. -#}
{% macro contact_in_bucket(column, buckets, bucket) -%}
    {{ return(adapter.dispatch('contact_in_bucket', 'consent_ledger')(column, buckets, bucket)) }}
{%- endmacro %}

{% macro default__contact_in_bucket(column, buckets, bucket) -%}
    {{ exceptions.raise_compiler_error("contact_in_bucket: add a " ~ adapter.type() ~ "__contact_in_bucket macro (a stable hash of the key, modulo the bucket count)") }}
{%- endmacro %}

{% macro duckdb__contact_in_bucket(column, buckets, bucket) -%}
    hash({{ column }}) % {{ buckets }} = {{ contact_bucket_marker() }}{{ bucket }}
{%- endmacro %}

{#- post-hook of the per-contact models: buckets 1..n-1 of tonight's affected contacts, each the
    model's own compiled query with the bucket swapped, appended by column name. -#}
{% macro insert_contact_buckets() -%}
    {%- set buckets = contact_bucket_count() -%}
    {%- if buckets > 1 -%}
        {%- set bucket_0 = contact_bucket_marker() ~ '0' -%}
        {%- if bucket_0 not in model.compiled_code -%}
            {{ exceptions.raise_compiler_error(model.name ~ ": no contact bucket in its compiled SQL; its import CTEs must filter with is_affected_contact()") }}
        {%- endif -%}
        {%- for bucket in range(1, buckets) -%}
            {%- do run_query("insert into " ~ this ~ " by name select * from (\n"
                ~ model.compiled_code | replace(bucket_0, contact_bucket_marker() ~ bucket) ~ "\n)") -%}
        {%- endfor -%}
        {%- do log(model.name ~ ": " ~ buckets ~ " contact buckets", info=true) -%}
    {%- endif -%}
{%- endmacro %}
