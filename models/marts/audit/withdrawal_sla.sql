{{
    config(
        contract={'enforced': true},
        pre_hook=[{'sql': attach_published(), 'transaction': false}],
        post_hook=[{'sql': detach_published(), 'transaction': false}],
    )
}}

{#- Each suppression, its legal deadline, the run date that first published it, and whether that
    was late. The first publication date is read from the published warehouse itself, so a run
    that builds a suppression but is blocked does not count as publishing it, and a full refresh
    keeps the history. -#}
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

previously_published as (

    {% if var('published_db', none) %}
    select contact_key, evidence_event_id, first_published_as_of
    from published_warehouse.audit.withdrawal_sla
    {% else %}
    select
        cast(null as {{ dbt.type_string() }}) as contact_key,
        cast(null as {{ dbt.type_string() }}) as evidence_event_id,
        cast(null as date) as first_published_as_of
    where false
    {% endif %}

),

final as (

    select
        suppressions.contact_key,
        suppressions.evidence_event_id,
        suppressions.reason,
        suppressions.scope,
        suppressions.channel,
        suppressions.purpose,
        suppressions.suppressed_since,
        suppressions.honour_by,
        coalesce(previously_published.first_published_as_of, {{ as_of_date() }}) as first_published_as_of,
        coalesce(previously_published.first_published_as_of, {{ as_of_date() }}) > suppressions.honour_by as is_late
    from suppressions
    left join previously_published
        on previously_published.contact_key = suppressions.contact_key
        and previously_published.evidence_event_id = suppressions.evidence_event_id

)

select * from final
