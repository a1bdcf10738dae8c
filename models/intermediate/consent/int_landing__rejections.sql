{#- What the landing folder itself rejects, in the shape of audit.rejected_records: every
    quarantined entry present now (links, special files, files outside the landing contract,
    compressed or binary content), whatever its date, and every line rejected before parsing
    (line_error: not UTF-8, NUL bytes, duplicate JSON key) up to the run date. A quarantined file
    that is removed or replaced leaves this model on the next run. file_contact_key is the contact
    key of the address a quarantined file's name holds (its name is published masked). -#}
with

files as (

    select * from {{ ref('base_landing__files') }}
    where file_status = 'quarantined'

),

lines as (

    select * from {{ ref('base_landing__lines') }}
    where line_number > 0 and line_error is not null and extract_date <= {{ as_of_date() }}

),

quarantined_files as (

    select
        source_system,
        file_name,
        0 as line_number,
        0 as element_index,
        cast(null as {{ dbt.type_string() }}) as raw_text,
        'quarantined_file:' || file_reason as reason,
        cast({{ as_of_date() }} as timestamp) as loaded_at,
        file_contact_key
    from files

),

rejected_lines as (

    select
        source_system,
        file_name,
        line_number,
        0 as element_index,
        raw_text,
        line_error as reason,
        loaded_at,
        cast(null as {{ dbt.type_string() }}) as file_contact_key
    from lines

),

final as (

    select * from quarantined_files
    union all
    select * from rejected_lines

)

select * from final
