{#- The outbox of withdrawal confirmations owed: one confirmation per withdrawal event, owed until
    an outbox has handed it to the email tool (recorded in audit.publication_ledger by the publish
    step), so a rerun, a backfill or a later night never owes it again. Only reasons the
    withdrawal_confirmation_rules seed says to confirm, only to a reachable address (never an
    erased, bouncing or complaining one). A backfill owes nothing: outboxes follow the latest
    state. One row per contact, listing the events it confirms. -#}
with

sla as (

    select * from {{ ref('withdrawal_sla') }}

),

suppressions as (

    select * from {{ ref('suppression_list') }}

),

rules as (

    select * from {{ ref('withdrawal_confirmation_rules') }}

),

contacts as (

    select * from {{ ref('contacts') }}

),

handed as (

    select contact_key, item_key as evidence_event_id
    from {{ ref('int_publication_ledger__published') }}
    where entry = 'withdrawal_confirmation'

),

run_kind as (

    select * from {{ ref('int_publication__run_kind') }}

),

unreachable as (

    select distinct suppressions.contact_key
    from suppressions
    left join rules on rules.reason = suppressions.reason
    where not coalesce(rules.send_confirmation, false)

),

owed as (

    select sla.*
    from sla
    inner join rules on rules.reason = sla.reason and rules.send_confirmation
    cross join run_kind
    left join handed
        on handed.contact_key = sla.contact_key
        and handed.evidence_event_id = sla.evidence_event_id
    where handed.contact_key is null
        and run_kind.run_kind <> 'backfill'

),

final as (

    select
        contacts.email,
        owed.contact_key,
        {{ dbt.listagg(
            "concat_ws(':', owed.reason, nullif(concat_ws('/', owed.purpose, owed.channel), ''))",
            "'; '",
            "order by owed.suppressed_since, owed.reason, owed.purpose, owed.channel, owed.evidence_event_id"
        ) }} as withdrawals,
        {{ dbt.listagg(
            "owed.evidence_event_id",
            "'; '",
            "order by owed.suppressed_since, owed.reason, owed.purpose, owed.channel, owed.evidence_event_id"
        ) }} as withdrawal_event_ids,
        min(owed.suppressed_since) as first_withdrawn_at,
        min(owed.honour_by) as honour_by
    from owed
    inner join contacts on contacts.contact_key = owed.contact_key
    where contacts.email is not null
        and not contacts.is_erased
        and owed.contact_key not in (select contact_key from unreachable)
    group by contacts.email, owed.contact_key

)

select * from final
