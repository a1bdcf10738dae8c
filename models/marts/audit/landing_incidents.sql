{{
    config(
        materialized='incremental',
        unique_key='incident_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{#- The audit trail of landed files that changed after they were read (a file still being written
    when read, or replaced under the same name): one row per change, kept across runs (a full
    refresh starts it again). The file was read again. `change` is appended when the file grew and
    every earlier record is unchanged except perhaps the last one (a tail that was still being
    written when read), rewritten otherwise; the run report lists the rows of its run. -#}
with

reread as (

    select * from {{ ref('base_landing__lines') }}
    where line_number = 0 and previous_sha256 is not null

),

final as (

    select
        {{ sha256_hex("concat_ws('|', file_name, previous_sha256, content_sha256)") }} as incident_id,
        source_system,
        file_name,
        previous_sha256,
        content_sha256,
        cast(previous_bytes as bigint) as previous_bytes,
        cast(file_bytes as bigint) as file_bytes,
        cast(previous_lines as bigint) as previous_lines,
        cast(lines_in_file as bigint) as lines_in_file,
        cast(unchanged_lines as bigint) as unchanged_lines,
        case
            when file_bytes > previous_bytes and unchanged_lines >= previous_lines - 1 then 'appended'
            else 'rewritten'
        end as change,
        read_at as detected_at
    from reread

)

select * from final
