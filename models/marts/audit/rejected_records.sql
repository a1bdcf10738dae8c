{{ config(contract={'enforced': true}) }}

{#- Every rejected line (or element of a line) and every quarantined file, with its raw text.
    The raw text of a record that names an erased address is redacted: erasure removes the plain
    email from every published table. -#}
with

outcomes as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'rejected'

),

files as (

    select * from {{ ref('base_landing__lines') }}
    where line_number = 0 and file_error is not null and extract_date <= {{ as_of_date() }}

),

erased as (

    select email from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event' and action = 'erasure'

),

rejected_lines as (

    select source_system, file_name, line_number, element_index, raw_text, reason, loaded_at
    from outcomes

),

quarantined_files as (

    select
        source_system,
        file_name,
        0 as line_number,
        0 as element_index,
        cast(null as {{ dbt.type_string() }}) as raw_text,
        'quarantined_file:' || file_error as reason,
        loaded_at
    from files

),

unioned as (

    select * from rejected_lines
    union all
    select * from quarantined_files

),

final as (

    select
        {{ sha256_hex("concat_ws('|', unioned.file_name, unioned.line_number, unioned.element_index, unioned.reason)") }} as rejected_record_id,
        unioned.source_system,
        unioned.file_name,
        unioned.line_number,
        unioned.element_index,
        case
            when exists (
                select 1 from erased where contains(lower(unioned.raw_text), erased.email)
            ) then '[redacted: names an erased contact]'
            else unioned.raw_text
        end as raw_text,
        unioned.reason,
        unioned.loaded_at
    from unioned

)

select * from final
