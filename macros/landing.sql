{#- The landing folder; the orchestrator passes an absolute path. -#}
{% macro landing_dir() -%}
    {{- env_var('CONSENT_LEDGER_LANDING', 'data/landing') | replace("'", "''") -}}
{%- endmacro %}

{#- The readable lines of one source entity, as landed up to the run date. A line with a
    line_error (not UTF-8, NUL bytes, duplicate JSON key) is rejected by int_landing__rejections
    and never parsed. The landing folder itself is walked by base_landing__scan.

    damaged_lines=true (privacy requests, which are never dropped): a line with NUL bytes or bytes
    that are not UTF-8 is returned too, as far as it can be read (readable_text); it is still
    rejected as that line by int_landing__rejections, and the model that honours it flags it.

    Incremental (issue 9: parse once): in an incremental staging model only the files this model
    has not staged yet are returned: a file version (file_name + content_sha256) not in the
    model's table, which covers a new file, a file re-read because its content changed, a file
    whose extract date the run date has just reached, and files a failed run left unstaged. The
    model writes them with delete+insert by file_name; staging_pre_hook() first drops what a full
    refresh would not hold (an older version of a file, a file dated after the run date). Staged
    rows carry content_sha256 for this. -#}
{% macro landing_lines(source_system, entity, damaged_lines=false) -%}
    {%- if is_incremental() %}
    with

    staged_files as (

        select distinct file_name, content_sha256 from {{ this }}

    )

    {% endif -%}
    select
        lines.source_system,
        lines.file_name,
        lines.line_number,
        {%- if damaged_lines %}
        case
            when lines.line_error in ('nul_bytes', 'invalid_utf8') then {{ readable_text('lines.raw_text') }}
            else lines.raw_text
        end as raw_text,
        {%- else %}
        lines.raw_text,
        {%- endif %}
        lines.extract_date,
        lines.loaded_at,
        lines.content_sha256
    from {{ ref('base_landing__lines') }} as lines
    {%- if is_incremental() %}
    left join staged_files
        on staged_files.file_name = lines.file_name
        and staged_files.content_sha256 = lines.content_sha256
    {%- endif %}
    where lines.source_system = '{{ source_system }}'
        and lines.entity = '{{ entity }}'
        and lines.line_number > 0
        {%- if damaged_lines %}
        and (lines.line_error is null or lines.line_error in ('nul_bytes', 'invalid_utf8'))
        {%- else %}
        and lines.line_error is null
        {%- endif %}
        and lines.file_error is null
        and lines.extract_date <= {{ as_of_date() }}
    {%- if is_incremental() %}
        and staged_files.file_name is null
    {%- endif %}
{%- endmacro %}

{#- The columns every staging model carries first, from landing_lines: where the line came from
    (source, file, line), the extract date, the run date it was first read and the file version
    (staging_pre_hook). Not the line's text (issue 9): staging parses it once, and it is kept only
    in base_landing__lines, which audit.rejected_records joins by (file_name, line_number). -#}
{% macro staged_line_columns() -%}
    source_system, file_name, line_number, extract_date, loaded_at, content_sha256
{%- endmacro %}

{#- A damaged record as far as it can be read: base_landing__scan shows a NUL byte as `\x00` (dropped
    here: it is never content, e.g. the padding a crashed writer leaves) and a byte that is not UTF-8
    as `\xNN` (here U+FFFD, so an address holding one stays invalid). -#}
{% macro readable_text(expr) -%}
    {{ regexp_replace_all(regexp_replace_all(expr, '\\\\x00', ''), '\\\\x[0-9a-f]{2}', '�') }}
{%- endmacro %}

{#- Config of every staging model: incremental by file (see landing_lines). -#}
{% macro staging_config() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='file_name',
        on_schema_change='fail',
        pre_hook=staging_pre_hook(),
    ) }}
{%- endmacro %}

{#- Before an incremental staging run: delete the rows a full refresh would not hold, the files
    staged at a version the landing no longer has (re-read since; the new version may have no
    readable line, so delete+insert alone would keep the old rows) and files dated after the run
    date (a backfill run without --full-refresh). Rendered at run time: nothing on a full build. -#}
{% macro staging_pre_hook() -%}
    {%- raw -%}
    {% if is_incremental() %}
    delete from {{ this }}
    where extract_date > {{ as_of_date() }}
        or file_name in (
            select staged.file_name
            from (select distinct file_name, content_sha256 from {{ this }}) as staged
            inner join {{ ref('base_landing__lines') }} as landed
                on landed.file_name = staged.file_name
                and landed.line_number = 0
            where landed.content_sha256 <> staged.content_sha256
        )
    {% else %}
    select 1
    {% endif %}
    {%- endraw -%}
{%- endmacro %}

{#- The lines of one JSON entity (landing_lines), each parsed once into `doc` for the staging model
    to pick its fields from (macros/json.sql); a line that is not a JSON object has a null doc.
    The JSON counterpart of landing_csv_records: a new JSON source's staging model starts here. -#}
{% macro landing_json_records(source_system, entity, damaged_lines=false) -%}
    with

    json_lines as (

        {{ landing_lines(source_system, entity, damaged_lines) }}

    )

    select
        json_lines.*,
        {{ json_parse('json_lines.raw_text') }} as doc
    from json_lines
{%- endmacro %}

{#- The records of one CSV entity with their fields split and the file's header beside them, so a
    field is found by its header name (field order does not matter). Record 1 is the header; a
    record may span physical lines (RFC 4180 quoted line breaks), line_number is its ordinal. -#}
{% macro landing_csv_records(source_system, entity) -%}
    with

    csv_lines as (

        {{ landing_lines(source_system, entity) }}

    ),

    header_lines as (

        -- the same lines again, only the headers: reading csv_lines twice would make DuckDB hold
        -- every record's text in a materialized CTE (at 10M events, gigabytes spilled to disk)
        select * from ({{ landing_lines(source_system, entity) }}) as lines
        where line_number = 1

    ),

    csv_headers as (

        select file_name, list_transform({{ csv_split('raw_text') }}, lambda h: trim(h)) as header
        from header_lines

    ),

    split_records as (

        -- each record split once
        select
            csv_lines.*,
            csv_lines.line_number = 1 as is_header,
            csv_headers.header,
            {{ csv_split('csv_lines.raw_text') }} as fields,
            {{ csv_is_well_formed('csv_lines.raw_text') }} as is_line_well_formed
        from csv_lines
        inner join csv_headers on csv_headers.file_name = csv_lines.file_name

    )

    select
        source_system,
        file_name,
        line_number,
        raw_text,
        extract_date,
        loaded_at,
        content_sha256,
        is_header,
        header,
        fields,
        is_line_well_formed and len(fields) = len(header) as is_well_formed
    from split_records
{%- endmacro %}

{#- A named field of a CSV record from landing_csv_records; empty means null. -#}
{% macro csv_field(name) -%}
    nullif(trim(fields[list_position(header, '{{ name }}')]), '')
{%- endmacro %}

{#- The last published warehouse file, or none before the first publish. The orchestrator passes
    it in the environment (CONSENT_LEDGER_PUBLISHED_DB, set only when the file exists), read only
    when SQL is compiled for execution, as the run date is (macros/run_dates.sql): as a dbt var it
    first appeared on a warehouse's second night and made dbt re-parse the whole project. A dbt var
    `published_db` still wins (a hand-run build). -#}
{% macro published_path() -%}
    {%- set path = var('published_db', none) -%}
    {%- if not path and execute -%}{%- set path = env_var('CONSENT_LEDGER_PUBLISHED_DB', '') -%}{%- endif -%}
    {{ return(path or none) }}
{%- endmacro %}

{#- The published warehouse, attached read-only while a model reads what was published before
    (the publish step only writes it under the run lock, after dbt has finished). -#}
{% macro attach_published() -%}
    {%- set path = published_path() -%}
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
    {%- if published_path() -%}detach database if exists published_warehouse{%- else -%}select 1{%- endif -%}
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
