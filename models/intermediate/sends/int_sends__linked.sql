{#- Every staged sends line with its disposition: the CSV header, a send (keyed to its contact by
    contact_key), a re-delivered copy of a send already read, or a rejected line with a reason.
    A send is identified by the sending tool and its send_id; the first reading counts (earliest
    load, then file, line). A later line with the same id but different content is rejected as
    conflicting_send_id rather than silently preferred. Not consent events: they feed the
    reconciliation (int_sends_events__mapped) and audit.sends_without_consent. -#}
with

sends as (

    select * from {{ ref('stg_sends__sends') }}

),

checked as (

    select
        *,
        case
            when parse_error is not null then parse_error
            when not is_header and sent_at >= {{ as_of_instant() }} then 'sent_after_as_of'
        end as line_error
    from sends

),

ranked as (

    select
        *,
        case when not is_header and line_error is null then
            row_number() over (
                partition by sent_by_system, send_id, is_header, line_error is null
                order by loaded_at, file_name, line_number
            )
        end as delivery_rank,
        case when not is_header and line_error is null then
            first_value(
                [cast(sent_at as varchar), contact_key, channel, purpose, campaign_id]
            ) over (
                partition by sent_by_system, send_id, is_header, line_error is null
                order by loaded_at, file_name, line_number
            )
        end as first_delivery_content
    from checked

),

final as (

    select
        source_system,
        file_name,
        line_number,
        raw_text,
        extract_date,
        loaded_at,
        send_id,
        sent_at,
        email,
        contact_key,
        channel,
        purpose,
        campaign_id,
        sent_by_system,
        case
            when is_header then 'csv_header'
            when line_error is not null then 'rejected'
            when delivery_rank = 1 then 'send'
            when first_delivery_content
                is not distinct from [cast(sent_at as varchar), contact_key, channel, purpose, campaign_id]
                then 'redelivered'
            else 'rejected'
        end as send_outcome,
        case
            when is_header then 'csv_header'
            when line_error is not null then line_error
            when delivery_rank = 1 then 'send_record'
            when first_delivery_content
                is not distinct from [cast(sent_at as varchar), contact_key, channel, purpose, campaign_id]
                then 'send_record_redelivered'
            else 'conflicting_send_id'
        end as reason
    from ranked

)

select * from final
