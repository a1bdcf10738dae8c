{#- The landing folder; the orchestrator passes an absolute path. -#}
{% macro landing_dir() -%}
    {{- env_var('CONSENT_LEDGER_LANDING', 'data/landing') | replace("'", "''") -}}
{%- endmacro %}

{#- Files under <landing>/<source>/<date>/ not read by an earlier run (all of them on a full
    refresh). Listed at run time so unchanged files are never re-read. -#}
{% macro landing_files_to_read(relation) -%}
    {% if not execute %}{{ return([]) }}{% endif %}
    {% set sql %}
        select file from glob('{{ landing_dir() }}/*/*/*')
        {% if relation is not none %}
        where file not in (select distinct file_path from {{ relation }})
        {% endif %}
        order by file
    {% endset %}
    {{ return(run_query(sql).columns[0].values() | list) }}
{%- endmacro %}

{#- Every line of the given files as text, with its file and 1-based line number. A file that is
    not text (compressed, binary, not UTF-8) yields one row with line_number 0 and a file_error,
    so it is quarantined whole instead of vanishing. -#}
{% macro read_landing_lines(files) -%}
    {{ return(adapter.dispatch('read_landing_lines', 'consent_ledger')(files)) }}
{%- endmacro %}

{% macro duckdb__read_landing_lines(files) -%}
    {%- if files | length == 0 -%}
    select
        cast(null as varchar) as file_path, cast(null as varchar) as file_text,
        cast(null as varchar) as file_error, cast(null as bigint) as file_bytes
    where false
    {%- else -%}
    select
        filename as file_path,
        try(decode(content)) as file_text,
        case
            when octet_length(content) >= 2 and content[1:2] = '\x1F\x8B'::blob then 'compressed_gzip'
            when octet_length(content) >= 4 and content[1:4] = 'PK\x03\x04'::blob then 'compressed_zip'
            when try(decode(content)) is null then 'not_utf8_text'
            when contains(decode(content), chr(0)) then 'binary_content'
        end as file_error,
        octet_length(content) as file_bytes
    from read_blob([
        {%- for f in files %}'{{ f | replace("'", "''") }}'{{ "," if not loop.last }}{% endfor -%}
    ])
    {%- endif -%}
{%- endmacro %}

{#- The readable lines of one source entity, as landed up to the run date. -#}
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
        and file_error is null
        and extract_date <= {{ as_of_date() }}
{%- endmacro %}

{#- The lines of one CSV entity with their fields split and the file's header beside them, so a
    field is found by its header name (field order does not matter). Line 1 is the header. -#}
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
    attach if not exists '{{ path | replace("'", "''") }}' as published_warehouse (read_only)
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{% macro detach_published() -%}
    {%- if var('published_db', none) -%}detach database if exists published_warehouse{%- else -%}select 1{%- endif -%}
{%- endmacro %}
