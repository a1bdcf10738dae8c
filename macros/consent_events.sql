{#- Every int_<source>_events__mapped model yields these columns, one row per outcome of a landed
    line (or of one element of it): outcome 'event' (a canonical consent event), 'rejected' or
    'ignored', with a reason. Unioned in int_consent_events__unioned. review_reason is set on an
    event honoured although the record is defective (a privacy request with a broken timestamp,
    id or type): why a person should look at it; the run report counts them. -#}
{% macro event_outcome_columns() -%}
    {{ return([
        'source_system', 'file_name', 'line_number', 'element_index', 'raw_text', 'loaded_at',
        'outcome', 'reason', 'email', 'contact_key', 'source_record_id', 'scope', 'channel',
        'purpose', 'action', 'lawful_basis', 'occurred_at', 'capture_method', 'capture_point',
        'policy_version', 'was_prechecked', 'double_opt_in_at', 'country_code', 'expires_at',
        'ip_hash', 'review_reason',
    ]) }}
{%- endmacro %}

{#- A rejected (or ignored) outcome for a whole line: event columns null. -#}
{% macro line_outcome(outcome, reason, element_index='0') -%}
    source_system,
    file_name,
    line_number,
    {{ element_index }} as element_index,
    raw_text,
    loaded_at,
    '{{ outcome }}' as outcome,
    {{ reason }} as reason,
    cast(null as {{ dbt.type_string() }}) as email,
    cast(null as {{ dbt.type_string() }}) as contact_key,
    cast(null as {{ dbt.type_string() }}) as source_record_id,
    cast(null as {{ dbt.type_string() }}) as scope,
    cast(null as {{ dbt.type_string() }}) as channel,
    cast(null as {{ dbt.type_string() }}) as purpose,
    cast(null as {{ dbt.type_string() }}) as action,
    cast(null as {{ dbt.type_string() }}) as lawful_basis,
    cast(null as timestamp) as occurred_at,
    cast(null as {{ dbt.type_string() }}) as capture_method,
    cast(null as {{ dbt.type_string() }}) as capture_point,
    cast(null as {{ dbt.type_string() }}) as policy_version,
    cast(null as boolean) as was_prechecked,
    cast(null as timestamp) as double_opt_in_at,
    cast(null as {{ dbt.type_string() }}) as country_code,
    cast(null as timestamp) as expires_at,
    cast(null as {{ dbt.type_string() }}) as ip_hash,
    cast(null as {{ dbt.type_string() }}) as review_reason
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
