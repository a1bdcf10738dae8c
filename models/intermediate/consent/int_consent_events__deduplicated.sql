{#- A record re-delivered in a later file is the same event (same event_id): the first reading
    (earliest load, then file, line) is the event, later ones are duplicates. -#}
with

outcomes as (

    select * from {{ ref('int_consent_events__unioned') }}

),

ranked as (

    select
        *,
        case when outcome = 'event' then
            row_number() over (
                partition by event_id
                order by loaded_at, file_name, line_number, element_index
            )
        end as delivery_rank
    from outcomes

),

final as (

    select
        * exclude (outcome, delivery_rank),
        case when outcome = 'event' and delivery_rank > 1 then 'duplicate' else outcome end as outcome
    from ranked

)

select * from final
