{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='contact_key',
        on_schema_change='fail',
    )
}}

{#- The resolver's per-contact state after a successful run: the fingerprints of the inputs it
    resolved (from int_contacts__affected) and the contact's next clock point, so the next run
    finds the contacts to recompute without rescanning history (int_contacts__affected reads this
    table back as a source). It runs after every model that consumed the affected set (their refs
    above and below), so when one of them fails this state is not written and the next run
    recomputes the same contacts: a batch is never lost, and a rerun of the same as_of is fine.

    next_clock_at: the earliest instant at or after the end of this run date at which one of the
    contact's cells could change without a new event (int_consent_history__resolved
    next_point_at); a contact without any resolved cell yet (its only events are dated later) is
    due again at its first event. Rows are written for the affected contacts only (delete+insert). -#}
-- depends_on: {{ ref('int_contacts__resolved') }}
-- depends_on: {{ ref('int_consent_cells__spined') }}
-- depends_on: {{ ref('int_consent_events__cells') }}
-- the marts rewritten per contact (models/marts/consent, audit.sends_without_consent): a failed
-- mart leaves the state as it was
-- depends_on: {{ ref('consent_history') }}
-- depends_on: {{ ref('consent_status') }}
-- depends_on: {{ ref('suppression_list') }}
-- depends_on: {{ ref('marketable_audience') }}
-- depends_on: {{ ref('sends_without_consent') }}
with

affected as (

    select * from {{ ref('int_contacts__affected') }}

),

history as (

    select contact_key, next_point_at
    from {{ ref('int_consent_history__resolved') }}
    where {{ is_affected_contact() }}

),

contacts as (

    select contact_key, first_event_at
    from {{ ref('int_contacts__resolved') }}
    where {{ is_affected_contact() }}

),

next_points as (

    select contact_key, count(*) as resolved_rows, min(next_point_at) as next_point_at
    from history
    group by contact_key

),

final as (

    select
        affected.contact_key,
        affected.event_count,
        affected.event_fingerprint,
        affected.country_fingerprint,
        affected.seeds_fingerprint,
        case when next_points.resolved_rows is null then contacts.first_event_at
            else next_points.next_point_at end as next_clock_at,
        {{ as_of_date() }} as resolved_as_of
    from affected
    left join next_points on next_points.contact_key = affected.contact_key
    left join contacts on contacts.contact_key = affected.contact_key

)

select * from final
