{#- Engine-specific parsing (JSON, timestamps) sits behind adapter.dispatch so the project can
    later target another engine (design principle 7). -#}

{% macro json_parse(expr) -%}
    {{ return(adapter.dispatch('json_parse', 'consent_ledger')(expr)) }}
{%- endmacro %}
{% macro duckdb__json_parse(expr) -%}
    case when json_valid({{ expr }}) and json_type({{ expr }}::json) = 'OBJECT' then {{ expr }}::json end
{%- endmacro %}

{#- Text value of a JSON field; JSON null and absent both give SQL null. -#}
{% macro json_text(doc, path) -%}
    {{ return(adapter.dispatch('json_text', 'consent_ledger')(doc, path)) }}
{%- endmacro %}
{% macro duckdb__json_text(doc, path) -%}
    nullif(trim(json_extract_string({{ doc }}, '{{ path }}')), '')
{%- endmacro %}

{#- JSON type of a field ('VARCHAR', 'BOOLEAN', 'ARRAY', 'NULL', ...); null when absent. -#}
{% macro json_kind(doc, path) -%}
    {{ return(adapter.dispatch('json_kind', 'consent_ledger')(doc, path)) }}
{%- endmacro %}
{% macro duckdb__json_kind(doc, path) -%}
    json_type({{ doc }}, '{{ path }}')
{%- endmacro %}

{#- Array elements of a JSON field, one row each, for use in a lateral join. -#}
{% macro json_array_elements(doc, path) -%}
    {{ return(adapter.dispatch('json_array_elements', 'consent_ledger')(doc, path)) }}
{%- endmacro %}
{% macro duckdb__json_array_elements(doc, path) -%}
    unnest(case when json_type({{ doc }}, '{{ path }}') = 'ARRAY' then cast(json_extract({{ doc }}, '{{ path }}') as json[]) else []::json[] end)
{%- endmacro %}

{#- Strict booleans: true/false (JSON or text, any case); anything else is null. -#}
{% macro parse_bool(expr) -%}
    case lower(trim(cast({{ expr }} as {{ dbt.type_string() }})))
        when 'true' then true when '1' then true when 'false' then false when '0' then false
    end
{%- endmacro %}

{#- ISO 8601 with Z, +01:00 or +0000 offsets, or none (taken as UTC) -> naive UTC timestamp. -#}
{% macro to_utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'consent_ledger')(expr)) }}
{%- endmacro %}
{% macro duckdb__to_utc_timestamp(expr) -%}
    timezone('UTC', try_cast({{ expr }} as timestamptz))
{%- endmacro %}

{#- Epoch milliseconds (HubSpot `created`) -> naive UTC timestamp. -#}
{% macro epoch_ms_to_timestamp(expr) -%}
    {{ return(adapter.dispatch('epoch_ms_to_timestamp', 'consent_ledger')(expr)) }}
{%- endmacro %}
{% macro duckdb__epoch_ms_to_timestamp(expr) -%}
    case when regexp_full_match(trim(cast({{ expr }} as varchar)), '[0-9]{1,15}')
         then epoch_ms(cast(trim(cast({{ expr }} as varchar)) as bigint)) end
{%- endmacro %}

{#- One CSV record (RFC 4180 quoting, no embedded newlines) -> list of field values. A record without
    a double quote is split on its commas: the same fields the RFC 4180 pattern finds, for a tenth
    of the CPU (the pattern is what made CSV staging the costliest step after the scan). -#}
{% macro csv_split(expr) -%}
    {{ return(adapter.dispatch('csv_split', 'consent_ledger')(expr)) }}
{%- endmacro %}
{% macro duckdb__csv_split(expr) -%}
    case
        when strpos({{ expr }}, '"') = 0 then string_split({{ expr }}, ',')
        else list_transform(
            regexp_extract_all(',' || {{ expr }}, ',("(?:[^"]|"")*"|[^,"]*)', 1),
            lambda f: case when starts_with(f, '"') then replace(f[2:-2], '""', '"') else f end
        )
    end
{%- endmacro %}

{#- A CSV line is well formed when splitting and re-joining its fields gives the line back; a line
    without a double quote always is (a case, not `or`: DuckDB evaluates both sides of an `or`). -#}
{% macro csv_is_well_formed(expr) -%}
    {{ return(adapter.dispatch('csv_is_well_formed', 'consent_ledger')(expr)) }}
{%- endmacro %}
{% macro duckdb__csv_is_well_formed(expr) -%}
    case
        when strpos({{ expr }}, '"') = 0 then true
        else length(',' || {{ expr }})
            = length(array_to_string(regexp_extract_all(',' || {{ expr }}, ',("(?:[^"]|"")*"|[^,"]*)', 0), ''))
    end
{%- endmacro %}
