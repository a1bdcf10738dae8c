{#- Each suppression, its legal deadline, the run date that first published it, and whether that
    was late. The first publication is read from the ledger the publish step keeps
    (audit.publication_ledger), never re-derived from today's window: a blocked run does not count
    as publishing, and a full refresh, a rerun or a backfill cannot move the date. A suppression
    the ledger does not have yet is first published by this run, unless this run is a backfill
    (a snapshot is not a publication to the tools): then first_published_as_of is null. -#}
with

suppressions as (

    -- one row per opt-out event, at the event's own scope
    select distinct
        suppression_list.contact_key,
        suppression_list.evidence_event_id,
        suppression_list.reason,
        events.scope,
        events.channel,
        events.purpose,
        suppression_list.suppressed_since,
        suppression_list.honour_by
    from {{ ref('suppression_list') }} as suppression_list
    inner join {{ ref('consent_events') }} as events
        on events.event_id = suppression_list.evidence_event_id

),

first_publications as (

    select contact_key, item_key as evidence_event_id, min(recorded_as_of) as first_published_as_of
    from {{ ref('int_publication_ledger__published') }}
    where entry = 'first_publication'
    group by contact_key, item_key

),

run_kind as (

    select * from {{ ref('int_publication__run_kind') }}

),

dated as (

    select
        suppressions.*,
        coalesce(
            first_publications.first_published_as_of,
            case when run_kind.run_kind <> 'backfill' then run_kind.as_of end
        ) as first_published_as_of
    from suppressions
    cross join run_kind
    left join first_publications
        on first_publications.contact_key = suppressions.contact_key
        and first_publications.evidence_event_id = suppressions.evidence_event_id

),

final as (

    select
        contact_key,
        evidence_event_id,
        reason,
        scope,
        channel,
        purpose,
        suppressed_since,
        honour_by,
        first_published_as_of,
        first_published_as_of > honour_by as is_late
    from dated

)

select * from final
