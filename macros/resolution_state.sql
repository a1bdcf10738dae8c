{#- Incremental resolution (issue 9): what the resolver needs to decide, each night, which
    contacts to recompute. The rules live in int_contacts__affected; these macros are the
    engine-specific and plumbing parts. -#}

{#- An order-independent fingerprint of a set of rows: sum the 64-bit hash of each row's
    columns. Two sets with the same fingerprint and row count are taken as equal. -#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'consent_ledger')(columns)) }}
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    {{ exceptions.raise_compiler_error("row_fingerprint: add a " ~ adapter.type() ~ "__row_fingerprint macro (a sum of a 64-bit row hash)") }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    sum(hash({{ columns | join(', ') }}))
{%- endmacro %}

{#- Whether the resolver's per-contact state (int_contacts__resolution_state) exists from an
    earlier run. It is read as a source, not a ref: it is written after the resolver, so a run
    that fails half way leaves it as it was and the next run recomputes the same contacts. A unit
    test overrides this macro. -#}
{% macro resolution_state_exists() -%}
    {%- if not execute or flags.FULL_REFRESH -%}{{ return(false) }}{%- endif -%}
    {%- set state = source('resolver_state', 'int_contacts__resolution_state') -%}
    {%- set relation = adapter.get_relation(database=state.database, schema=state.schema, identifier=state.identifier) -%}
    {{ return(relation is not none) }}
{%- endmacro %}

{#- A condition: in an incremental run, the row belongs to one of tonight's affected contacts
    (the import CTEs of the resolver's models use it, so the heavy work runs on the slice); true
    otherwise. When the affected contacts' events are more than one bucket holds
    (macros/contact_buckets.sql), the row's contact is also in bucket 0; the post-hook runs the
    other buckets. The calling model declares `-- depends_on: {{ ref('int_contacts__affected') }}`. -#}
{% macro is_affected_contact(column='contact_key') -%}
    {#- a unit test has no `this`: it tests the rules on every contact it is given -#}
    {%- set buckets = contact_bucket_count() -%}
    {%- if buckets > 1 %}({% endif -%}
    {%- if this is not none and is_incremental() -%}
    {{ column }} in (select contact_key from {{ ref('int_contacts__affected') }})
    {%- else -%}
    true
    {%- endif -%}
    {%- if buckets > 1 %} and {{ contact_in_bucket(column, buckets, 0) }}){%- endif -%}
{%- endmacro %}

{#- A whole row of a relation (by its alias) as text, to fingerprint a seed without listing its
    columns. -#}
{% macro row_as_text(alias) -%}
    {{ return(adapter.dispatch('row_as_text', 'consent_ledger')(alias)) }}
{%- endmacro %}

{% macro default__row_as_text(alias) -%}
    {{ exceptions.raise_compiler_error("row_as_text: add a " ~ adapter.type() ~ "__row_as_text macro") }}
{%- endmacro %}

{% macro duckdb__row_as_text(alias) -%}
    cast({{ alias }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- Config of every model recomputed per affected contact (the resolver's models and the consent
    marts it feeds): delete+insert by contact_key, after delete_affected_contacts() has removed
    every affected contact's rows. pre_hook / post_hook add the model's own hooks (run-time SQL,
    rendered by dbt when the hook runs). The model still declares
    `-- depends_on: {{ ref('int_contacts__affected') }}`. -#}
{% macro per_contact_incremental_config(pre_hook=[], post_hook=[]) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='contact_key',
        on_schema_change='fail',
        pre_hook=['{{ delete_affected_contacts() }}'] + ([pre_hook] if pre_hook is string else pre_hook),
        post_hook=['{{ insert_contact_buckets() }}'] + ([post_hook] if post_hook is string else post_hook),
        contact_buckets=true,
    ) }}
{%- endmacro %}

{#- pre_hook of the resolver's incremental models: remove every affected contact's rows before
    the slice is inserted, so a contact that no longer has any input (its files were removed)
    leaves the table instead of keeping a stale decision (delete+insert alone only replaces the
    contacts present in the new slice). -#}
{% macro delete_affected_contacts() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where contact_key in (select contact_key from {{ ref('int_contacts__affected') }})
    {%- endif -%}
{%- endmacro %}

{#- A fingerprint of the resolver's own rules: the SQL of the models it recomputes per contact.
    A deploy that changes one re-resolves everyone (with the seeds), instead of leaving contacts
    resolved under the old rule until their inputs change. The consent marts rewritten per contact
    (and the calendar suppression_list reads) are rules too: a change to one rewrites everyone's
    rows. The graph has no macro source: a
    change to a macro they call (opt_out_spans, consent_event_cells...) needs --full-refresh. -#}
{% macro resolver_rules_fingerprint() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set parts = [] -%}
    {%- for name in ['int_contacts__resolved', 'int_consent_cells__spined', 'int_consent_events__cells',
                     'int_consent_history__resolved', 'int_jurisdictions__ranked', 'int_contacts__fingerprinted',
                     'consent_history', 'consent_status', 'suppression_list', 'marketable_audience',
                     'int_calendar__business_days'] -%}
        {%- do parts.append(graph.nodes['model.consent_ledger.' ~ name].raw_code) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}
