{{ config(contract={'enforced': true}) }}

{#- Never-contact rows: one per contact and deciding event, at the scope of that event (a global
    opt-out is one row, not one per purpose). -#}
with

status as (

    select * from {{ ref('consent_status') }}

),

events as (

    select * from {{ ref('consent_events') }}

),

contacts as (

    select * from {{ ref('int_contacts__resolved') }}

),

jurisdictions as (

    select * from {{ ref('int_jurisdictions__ranked') }}

),

calendar as (

    select * from {{ ref('int_calendar__business_days') }}

),

blocked as (

    select distinct contact_key, blocked_reason as reason, evidence_event_id, jurisdiction
    from status
    where status in ('withdrawn', 'suppressed')

),

with_scope as (

    select
        blocked.contact_key,
        events.scope,
        events.channel,
        events.purpose,
        blocked.reason,
        events.occurred_at as suppressed_since,
        blocked.evidence_event_id,
        case when blocked.reason = 'sale_opt_out'
            then jurisdictions.sale_opt_out_honour_business_days
            else jurisdictions.unsubscribe_honour_business_days
        end as honour_business_days
    from blocked
    inner join events on events.event_id = blocked.evidence_event_id
    inner join jurisdictions on jurisdictions.jurisdiction_code = blocked.jurisdiction

),

with_deadline as (

    select
        with_scope.*,
        (
            select min(deadline.calendar_date)
            from calendar as deadline
            where deadline.is_business_day
                and deadline.business_day_number = start_day.business_day_number + with_scope.honour_business_days
        ) as honour_by
    from with_scope
    inner join calendar as start_day on start_day.calendar_date = cast(with_scope.suppressed_since as date)

),

final as (

    select
        with_deadline.contact_key,
        contacts.email,
        with_deadline.scope,
        with_deadline.channel,
        with_deadline.purpose,
        with_deadline.reason,
        with_deadline.suppressed_since,
        with_deadline.honour_by,
        with_deadline.evidence_event_id
    from with_deadline
    inner join contacts on contacts.contact_key = with_deadline.contact_key

)

select * from final
