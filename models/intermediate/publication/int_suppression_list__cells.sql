{#- The cells each consent.suppression_list row reaches (issue 14: the scope rule lives once, in the
    macro consent_event_cells, which int_consent_events__cells publishes for events): one row per
    suppression row × contact × purpose × channel it blocks. A global suppression reaches every
    cell of the contact, a channel suppression the cells of its channel, a purpose suppression its
    purpose (on its channel, or every channel when it names none); a sale opt-out only the sale or
    sharing purposes. A suppression row is read at its own scope, not its evidence event's: where a
    later grant lifted a broader opt-out for some purposes, suppression_list lists the cells it
    still blocks as purpose rows, and only those are reached.

    Why: the gate (expectations/suites.py, audience_excludes_suppressed) joins the audience to
    these cells instead of restating which cells a suppression reaches. The macro reads an
    "action" only to tell a sale opt-out from every other blocking action, so each suppression row
    is given 'sale_opt_out' or 'opt_out' accordingly. -#}
with

cells as (

    select * from {{ ref('int_consent_cells__spined') }}

),

suppressions as (

    select * from {{ ref('suppression_list') }}

),

scoped as (

    -- each suppression row shaped as the event rows the macro reads, at the row's own scope
    select
        contact_key,
        evidence_event_id as event_id,
        cast(null as {{ dbt.type_string() }}) as source_system,
        case when reason = 'sale_opt_out' then 'sale_opt_out' else 'opt_out' end as action,
        scope,
        channel,
        purpose,
        suppressed_since as occurred_at
    from suppressions

),

reached as (

    {{ consent_event_cells('cells', 'scoped') }}

),

reasons as (

    select distinct contact_key, evidence_event_id, reason
    from suppressions

),

final as (

    select distinct
        reached.contact_key,
        reached.purpose,
        reached.channel,
        reasons.reason,
        reached.event_id as evidence_event_id
    from reached
    inner join reasons
        on reasons.contact_key = reached.contact_key
        and reasons.evidence_event_id = reached.event_id

)

select * from final
