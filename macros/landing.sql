{#- The landing folder; the orchestrator passes an absolute path. -#}
{% macro landing_dir() -%}
    {{- env_var('CONSENT_LEDGER_LANDING', 'data/landing') | replace("'", "''") -}}
{%- endmacro %}

{#- The readable lines of one source entity, as landed up to the run date. A line with a
    line_error (not UTF-8, NUL bytes, duplicate JSON key) is rejected by int_landing__rejections
    and never parsed. The landing folder itself is walked by base_landing__scan. -#}
{% macro landing_lines(source_system, entity) -%}
    select
        source_system,
        file_name,
        line_number,
        raw_text,
        extract_date,
        loaded_at
    from {{ ref('base_landing__lines') }}
    where source_system = '{{ source_system }}'
        and entity = '{{ entity }}'
        and line_number > 0
        and line_error is null
        and file_error is null
        and extract_date <= {{ as_of_date() }}
{%- endmacro %}

{#- The records of one CSV entity with their fields split and the file's header beside them, so a
    field is found by its header name (field order does not matter). Record 1 is the header; a
    record may span physical lines (RFC 4180 quoted line breaks), line_number is its ordinal. -#}
{% macro landing_csv_records(source_system, entity) -%}
    with

    csv_lines as (

        {{ landing_lines(source_system, entity) }}

    ),

    csv_headers as (

        select file_name, list_transform({{ csv_split('raw_text') }}, lambda h: trim(h)) as header
        from csv_lines
        where line_number = 1

    )

    select
        csv_lines.*,
        csv_lines.line_number = 1 as is_header,
        csv_headers.header,
        {{ csv_split('csv_lines.raw_text') }} as fields,
        {{ csv_is_well_formed('csv_lines.raw_text') }}
            and len({{ csv_split('csv_lines.raw_text') }}) = len(csv_headers.header) as is_well_formed
    from csv_lines
    inner join csv_headers on csv_headers.file_name = csv_lines.file_name
{%- endmacro %}

{#- A named field of a CSV record from landing_csv_records; empty means null. -#}
{% macro csv_field(name) -%}
    nullif(trim(fields[list_position(header, '{{ name }}')]), '')
{%- endmacro %}

{#- The published warehouse, attached read-only while a model reads what was published before
    (the publish step only writes it under the run lock, after dbt has finished). -#}
{% macro attach_published() -%}
    {%- set path = var('published_db', none) -%}
    {%- if path -%}
    {#- with a key (orchestration/lib/encryption.py, target `encrypted`) the file is encrypted; the key
        is a DuckDB variable the dbt plugin sets, never SQL text nor read here (dbt would keep it
        in its saved parse) -#}
    attach if not exists '{{ path | replace("'", "''") }}' as published_warehouse (read_only
    {%- if target.name == 'encrypted' %}, encryption_key getvariable('consent_ledger_encryption_key'){% endif %})
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{% macro detach_published() -%}
    {%- if var('published_db', none) -%}detach database if exists published_warehouse{%- else -%}select 1{%- endif -%}
{%- endmacro %}

{#- A landing date folder name (yyyy-mm-dd) as a date; anything else (2026-13-45, latest) is null. -#}
{% macro landing_folder_date(expr) -%}
    {{ return(adapter.dispatch('landing_folder_date', 'consent_ledger')(expr)) }}
{%- endmacro %}

{% macro default__landing_folder_date(expr) -%}
    {{ dbt.safe_cast(expr, api.Column.translate_type('date')) }}
{%- endmacro %}

{% macro duckdb__landing_folder_date(expr) -%}
    case when regexp_full_match({{ expr }}, '[0-9]{4}-[0-9]{2}-[0-9]{2}') then try_cast({{ expr }} as date) end
{%- endmacro %}
