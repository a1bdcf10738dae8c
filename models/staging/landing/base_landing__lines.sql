{{
    config(
        materialized='incremental',
        on_schema_change='fail',
    )
}}

{#- Every landed file is read here once, line by line, as text. Later runs append only files they
    have not seen (landing files are append-only), so a line keeps the loaded_at of its first read. -#}
{%- set files = landing_files_to_read(this if is_incremental() else none) -%}

with

raw_files as (

    {{ read_landing_lines(files) }}

),

file_kinds as (

    select * from {{ ref('landing_file_kinds') }}

),

located as (

    select
        raw_files.*,
        string_split(replace(file_path, '{{ landing_dir() }}/', ''), '/') as path_parts
    from raw_files

),

named as (

    select
        file_path,
        file_text,
        file_error,
        file_bytes,
        path_parts[1] || '/' || path_parts[2] || '/' || path_parts[3] as file_name,
        path_parts[1] as source_system,
        try_cast(path_parts[2] as date) as extract_date,
        path_parts[3] as base_name
    from located

),

classified as (

    select
        named.*,
        kind.entity,
        kind.file_format,
        row_number() over (
            partition by named.file_path order by length(kind.file_prefix) desc nulls last
        ) as kind_rank
    from named
    left join file_kinds as kind
        on kind.source_system = named.source_system
        and starts_with(named.base_name, kind.file_prefix)
        and ends_with(named.base_name, '.' || kind.file_format)

),

files as (

    select
        file_path,
        file_name,
        source_system,
        extract_date,
        entity,
        file_format,
        file_bytes,
        case
            when extract_date is null then 'bad_landing_path'
            when entity is null then 'unrecognized_file'
            else file_error
        end as file_error,
        case when file_error is null then file_text end as file_text
    from classified
    where kind_rank = 1

),

split_lines as (

    select
        file_path,
        unnest(string_split(file_text, chr(10))) as raw_line,
        generate_subscripts(string_split(file_text, chr(10)), 1) as line_number,
        len(string_split(file_text, chr(10))) as physical_lines
    from files
    where file_error is null and file_text <> ''

),

lines as (

    select
        file_path,
        line_number,
        -- CRLF endings and a UTF-8 byte-order mark are transport noise, not content
        regexp_replace(
            case when line_number = 1 then ltrim(raw_line, chr(65279)) else raw_line end,
            '\r$', ''
        ) as raw_text
    from split_lines
    -- the empty string after a final newline is not a line
    where not (line_number = physical_lines and raw_line = '')

),

file_rows as (

    -- one row per file (line 0), so empty and quarantined files are accounted for too
    select file_path, 0 as line_number, cast(null as {{ dbt.type_string() }}) as raw_text
    from files

),

line_rows as (

    select * from lines
    union all
    select * from file_rows

),

final as (

    select
        files.source_system,
        files.entity,
        files.file_format,
        files.file_name,
        files.file_path,
        files.extract_date,
        line_rows.line_number,
        line_rows.raw_text,
        files.file_error,
        files.file_bytes,
        cast({{ as_of_date() }} as timestamp) as loaded_at
    from files
    inner join line_rows on line_rows.file_path = files.file_path

)

select * from final
