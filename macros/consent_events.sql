{#- Every int_<source>_events__mapped model yields these columns, one row per outcome of a landed
    line (or of one element of it): outcome 'event' (a canonical consent event), 'rejected' or
    'ignored', with a reason. Unioned in int_consent_events__unioned. review_reason is set on an
    event honoured although the record is defective (a privacy request with a broken timestamp,
    id or type): why a person should look at it; the run report counts them.
    The one list of the canonical row: each column in order with the type of the null a source
    that does not set it gets (canonical_event). The line's text is not in it (issue 9): it is kept
    once, in base_landing__lines, and audit.rejected_records joins it by (file_name, line_number). -#}
{% macro event_outcome_column_types() -%}
    {{ return([
        ('source_system', dbt.type_string()), ('file_name', dbt.type_string()),
        ('line_number', dbt.type_bigint()), ('element_index', dbt.type_bigint()),
        ('loaded_at', dbt.type_timestamp()),
        ('outcome', dbt.type_string()), ('reason', dbt.type_string()),
        ('email', dbt.type_string()), ('contact_key', dbt.type_string()),
        ('source_record_id', dbt.type_string()), ('scope', dbt.type_string()),
        ('channel', dbt.type_string()), ('purpose', dbt.type_string()),
        ('action', dbt.type_string()), ('lawful_basis', dbt.type_string()),
        ('occurred_at', dbt.type_timestamp()), ('capture_method', dbt.type_string()),
        ('capture_point', dbt.type_string()), ('policy_version', dbt.type_string()),
        ('was_prechecked', dbt.type_boolean()), ('double_opt_in_at', dbt.type_timestamp()),
        ('country_code', dbt.type_string()), ('expires_at', dbt.type_timestamp()),
        ('ip_hash', dbt.type_string()), ('review_reason', dbt.type_string()),
    ]) }}
{%- endmacro %}

{#- The canonical column names, in order (the union selects these). -#}
{% macro event_outcome_columns() -%}
    {%- set names = [] -%}
    {%- for column in event_outcome_column_types() -%}
        {%- do names.append(column[0]) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- The select list of one canonical row, so a mapping model writes only what its source sets:
    `values` maps a column to the source's SQL expression for it. Every canonical column comes out
    in the canonical order; the landed line's own columns (source_system, file_name, line_number,
    loaded_at) pass through unless given; element_index defaults to 0 (the line itself)
    and outcome to 'event'; every other column not given is a typed null. A name that is not a
    canonical column fails the compile (a typo would otherwise be a silent null). -#}
{% macro canonical_event(values) -%}
    {%- set names = event_outcome_columns() -%}
    {%- set defaults = {
        'source_system': 'source_system', 'file_name': 'file_name', 'line_number': 'line_number',
        'element_index': '0', 'loaded_at': 'loaded_at', 'outcome': "'event'",
    } -%}
    {%- for name in values if name not in names -%}
        {{ exceptions.raise_compiler_error("canonical_event: '" ~ name ~ "' is not a canonical event column") }}
    {%- endfor -%}
    {%- for name, type in event_outcome_column_types() %}
        {%- if name in values and values[name] == name %}
        {{ name }}
        {%- elif name in values %}
        {{ values[name] }} as {{ name }}
        {%- elif name in defaults and defaults[name] == name %}
        {{ name }}
        {%- elif name in defaults %}
        {{ defaults[name] }} as {{ name }}
        {%- else %}
        cast(null as {{ type }}) as {{ name }}
        {%- endif -%}
        {%- if not loop.last %},{% endif -%}
    {%- endfor -%}
{%- endmacro %}

{#- A rejected (or ignored) outcome for a whole line (or one element): event columns null. -#}
{% macro line_outcome(outcome, reason, element_index='0') -%}
    {{ canonical_event({'element_index': element_index, 'outcome': "'" ~ outcome ~ "'", 'reason': reason}) }}
{%- endmacro %}

{% macro known_channels() -%}
    ('email', 'phone', 'sms', 'ads', 'postal')
{%- endmacro %}

{#- ISO 3166-1 alpha-2 or null. -#}
{% macro country_code(expr) -%}
    case when regexp_full_match(upper(trim({{ expr }})), '[A-Z]{2}') then upper(trim({{ expr }})) end
{%- endmacro %}

{#- Order of events at the same instant: the least permissive comes last, so it wins. -#}
{% macro action_priority(action) -%}
    case {{ action }}
        when 'opt_in' then 1 when 'pending' then 2 when 'not_given' then 3 when 'opt_out' then 4
        when 'sale_opt_out' then 5 when 'undeliverable' then 6 when 'complaint' then 7
        when 'erasure' then 8 else 9
    end
{%- endmacro %}

{#- Dotted version strings split into numbers (2.10 > 2.9). Decides nothing about consent: the
    resolver orders notice versions by policy_versions.version_order and treats a version the
    seed does not have as unknown (issue 10). Left for int_onetrust_events__mapped, which picks
    the highest of several notices on one receipt; a source mapping should use the seed too. -#}
{% macro version_parts(expr) -%}
    list_transform(string_split({{ expr }}, '.'), lambda part: try_cast(part as integer))
{%- endmacro %}

{#- Whether every reading of an event holds the same value of `field` (null counts as a value), as
    window aggregates over `window` (the readings of one event): min = max of the values as text.
    `count(distinct ...) = 1` says the same but keeps a set of values per event, and at 10M events
    those sets ran the build out of memory (int_consent_events__deduplicated). -#}
{% macro readings_agree(field, window) -%}
    min(coalesce(cast({{ field }} as {{ dbt.type_string() }}), '~')) over {{ window }}
        = max(coalesce(cast({{ field }} as {{ dbt.type_string() }}), '~')) over {{ window }}
{%- endmacro %}
