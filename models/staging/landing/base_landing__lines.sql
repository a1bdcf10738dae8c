{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='path_key',
        on_schema_change='fail',
        post_hook="delete from {{ ref('base_landing__scan') }} where line_number > 0",
    )
}}

{#- Every record of every landed file the run may read, one row each (line 0: the file itself),
    keyed by path_key (the SHA-256 of the file's absolute path, from the scan; the path itself may
    name a person and is kept only in base_landing__scan) and content hash: a file is read when it is new, and read again when its
    content changed since it was read (a file still being written when read, or replaced); its
    rows then replace the earlier version's, the change is kept on line 0 (previous_* columns, see
    audit.landing_incidents), and an unchanged line keeps the loaded_at of its first read.
    Records are split by base_landing__scan (CSV per RFC 4180, quoted line breaks included; CR, LF
    and CRLF endings). A record that is not UTF-8, holds NUL bytes, or is a JSON object with a
    duplicate key gets a line_error and is rejected as that line; the rest of its file is read. -#}

with

files as (

    select * from {{ ref('base_landing__files') }}
    where file_status = 'to_read'

),

scan as (

    -- read by `records` alone, so the lines stream through; `scanned_records` counts from the
    -- keys (a CTE read twice is materialized whole: at 10M events, every line's text)
    select * from {{ ref('base_landing__scan') }}

),

scan_keys as (

    select path_key, line_number from {{ ref('base_landing__scan') }}

),

{% if is_incremental() %}
previous as (

    select * from {{ this }}

),

previous_files as (

    select
        path_key,
        content_sha256 as previous_sha256,
        file_bytes as previous_bytes,
        lines_in_file as previous_lines
    from previous
    where line_number = 0

),
{% else %}
previous_files as (

    select
        cast(null as {{ dbt.type_string() }}) as path_key,
        cast(null as {{ dbt.type_string() }}) as previous_sha256,
        cast(null as {{ dbt.type_bigint() }}) as previous_bytes,
        cast(null as {{ dbt.type_bigint() }}) as previous_lines
    where 1 = 0

),
{% endif %}

scanned_records as (

    select path_key, count(*) as scanned_records
    from scan_keys
    where line_number > 0
    group by path_key

),

to_read as (

    -- new files, and files whose content differs from the version read before; only when this
    -- run's scan holds the file's records (a build of this model alone, after the scan was
    -- emptied by the post-hook, reads nothing rather than an empty file)
    select files.*, previous_files.previous_sha256, previous_files.previous_bytes, previous_files.previous_lines
    from files
    left join previous_files on previous_files.path_key = files.path_key
    left join scanned_records on scanned_records.path_key = files.path_key
    where (previous_files.previous_sha256 is null or previous_files.previous_sha256 <> files.content_sha256)
        and coalesce(scanned_records.scanned_records, 0) = files.records

),

records as (

    select
        scan.path_key,
        scan.line_number,
        -- a UTF-8 byte-order mark is transport noise, not content
        case when scan.line_number = 1 then ltrim(scan.raw_text, chr(65279)) else scan.raw_text end as raw_text,
        case
            when not scan.is_utf8 then 'invalid_utf8'
            when scan.has_nul then 'nul_bytes'
            when scan.duplicate_json_key is not null then 'ambiguous_duplicate_key'
        end as line_error
    from scan
    inner join to_read on to_read.path_key = scan.path_key
    where scan.line_number > 0

),

{% if is_incremental() %}
carried as (

    -- an unchanged line of a re-read file keeps the loaded_at of its first read
    select records.*, previous.loaded_at as first_loaded_at
    from records
    left join previous
        on previous.path_key = records.path_key
        and previous.line_number = records.line_number
        and previous.raw_text = records.raw_text

),

unchanged as (

    select path_key, count(first_loaded_at) as unchanged_lines
    from carried
    group by path_key

),
{% else %}
carried as (

    -- a full refresh has read nothing before: every line is read for the first time. Written
    -- without a second reader of this CTE (unchanged counts from to_read), so the engine streams
    -- the lines instead of holding them: a CTE read twice is materialized, which at 10M events
    -- spilled 20 GB of line text to disk
    select records.*, cast(null as {{ dbt.type_timestamp() }}) as first_loaded_at
    from records

),

unchanged as (

    -- no line was read before; a file without records has no count, as when counted from its lines
    select path_key, cast(0 as {{ dbt.type_bigint() }}) as unchanged_lines
    from to_read
    where records > 0

),
{% endif %}

file_rows as (

    select
        to_read.path_key,
        0 as line_number,
        cast(null as {{ dbt.type_string() }}) as raw_text,
        cast(null as {{ dbt.type_string() }}) as line_error,
        cast(null as {{ dbt.type_timestamp() }}) as first_loaded_at
    from to_read

),

line_rows as (

    select path_key, line_number, raw_text, line_error, first_loaded_at from carried
    union all
    select * from file_rows

),

final as (

    select
        to_read.source_system,
        to_read.entity,
        to_read.file_format,
        to_read.file_name,
        to_read.path_key,
        to_read.extract_date,
        line_rows.line_number,
        line_rows.raw_text,
        line_rows.line_error,
        -- files with a file-level error are never read into this model (see base_landing__files);
        -- kept for readers and fixtures that name it
        cast(null as {{ dbt.type_string() }}) as file_error,
        to_read.file_bytes,
        to_read.content_sha256,
        to_read.records as lines_in_file,
        to_read.previous_sha256,
        to_read.previous_bytes,
        to_read.previous_lines,
        case when line_rows.line_number = 0 then unchanged.unchanged_lines end as unchanged_lines,
        coalesce(line_rows.first_loaded_at, cast({{ as_of_date() }} as timestamp)) as loaded_at,
        cast({{ as_of_date() }} as timestamp) as read_at
    from to_read
    inner join line_rows on line_rows.path_key = to_read.path_key
    left join unchanged on unchanged.path_key = to_read.path_key

)

select * from final
