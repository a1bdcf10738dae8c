{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='file_name',
        on_schema_change='fail',
    )
}}

{#- A record re-delivered in a later file is the same event (same event_id): the first reading
    (earliest load, then file, line) is the event, later ones are duplicates.

    Incremental: only files whose outcomes are new or changed in int_consent_events__unioned are
    judged, plus the stored files holding an earlier or later reading of one of their event_ids
    (a re-delivery), so a reading that arrives late but ranks first still wins and the one it
    displaces becomes a duplicate. An event_id never seen before is decided without looking at
    history (anti-join); only the readings of the event_ids being judged are ranked. Judged
    files are overwritten whole (delete+insert by file_name: overwrite by partition). -#}
{%- set columns = event_outcome_columns() + ['event_id'] -%}

with

outcomes as (

    select * from {{ ref('int_consent_events__unioned') }}

),

{% if is_incremental() %}
stored as (

    select file_name, line_number, element_index, outcome, reason, event_id
    from {{ this }}

),

changed_files as (

    -- files whose outcomes are new or changed since this table was written
    select distinct outcomes.file_name
    from outcomes
    left join stored
        on stored.file_name = outcomes.file_name
        and stored.line_number = outcomes.line_number
        and stored.element_index = outcomes.element_index
    where stored.file_name is null
        or (case when stored.outcome = 'duplicate' then 'event' else stored.outcome end) <> outcomes.outcome
        or coalesce(stored.reason, '') <> coalesce(outcomes.reason, '')
        or coalesce(stored.event_id, '') <> coalesce(outcomes.event_id, '')

),

touched_event_ids as (

    -- events read in a changed file, now or as stored before
    select outcomes.event_id
    from outcomes
    inner join changed_files on changed_files.file_name = outcomes.file_name
    where outcomes.outcome = 'event'
    union
    select stored.event_id
    from stored
    inner join changed_files on changed_files.file_name = stored.file_name
    where stored.event_id is not null

),

redelivered_files as (

    -- stored files with another reading of one of those events: its rank may change
    select distinct stored.file_name
    from stored
    inner join touched_event_ids on touched_event_ids.event_id = stored.event_id

),

judged as (

    select outcomes.*
    from outcomes
    where outcomes.file_name in (select file_name from changed_files)
        or outcomes.file_name in (select file_name from redelivered_files)

),
{% else %}
judged as (

    select * from outcomes

),
{% endif %}

{% if is_incremental() %}
readings as (

    -- every reading of the events judged here, from any file, ranked
    select
        file_name,
        line_number,
        element_index,
        row_number() over (
            partition by event_id
            order by loaded_at, file_name, line_number, element_index
        ) as delivery_rank
    from outcomes
    where outcome = 'event'
        and event_id in (select event_id from judged where outcome = 'event')

),

ranked as (

    select
        judged.*,
        readings.delivery_rank
    from judged
    left join readings
        on readings.file_name = judged.file_name
        and readings.line_number = judged.line_number
        and readings.element_index = judged.element_index

),
{% else %}
ranked as (

    select
        *,
        case when outcome = 'event' then
            row_number() over (
                partition by event_id
                order by loaded_at, file_name, line_number, element_index
            )
        end as delivery_rank
    from judged

),
{% endif %}

final as (

    select
        {% for column in columns if column != 'outcome' -%}
        {{ column }},
        {% endfor -%}
        case when outcome = 'event' and delivery_rank > 1 then 'duplicate' else outcome end as outcome
    from ranked

)

select * from final
