{{ config(contract={'enforced': true}) }}

{#- Every rejected line (or element of a line) and every quarantined file, with its raw text.
    The raw text of a record that names an erased address is redacted: erasure removes the plain
    email from every published table. -#}
with

outcomes as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'rejected'

),

landing_rejections as (

    -- quarantined landing entries (any path, any date) and lines rejected before parsing
    select * from {{ ref('int_landing__rejections') }}

),

erased as (

    select email from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event' and action = 'erasure'

),

rejected_lines as (

    select source_system, file_name, line_number, element_index, raw_text, reason, loaded_at
    from outcomes

),

unioned as (

    select * from rejected_lines
    union all
    select source_system, file_name, line_number, element_index, raw_text, reason, loaded_at
    from landing_rejections

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
