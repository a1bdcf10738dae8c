{#- The suppressions each marketing tool's import must carry, as rows (the outbox pattern:
    suppression sync only writes them to files). One row per consent.suppression_list row with a
    plain email and per tool-wide flag it sets (tool_suppression_rules seed: email unsubscribe,
    Do Not Call, Don't Solicit); a suppression that sets no flag (a purpose-level or sale/sharing
    opt-out, enforced by `consent-ledger export`) is one row with a null flag, so the sync summary
    counts it from here too. Erased contacts have no email: they are never listed (the erasure
    procedure deletes them in each tool). A suppression without a channel (a complaint or bounce
    from an email tool) counts as email. -#}
with

suppressions as (

    select * from {{ ref('suppression_list') }}

),

contacts as (

    select * from {{ ref('contacts') }}

),

rules as (

    select * from {{ ref('tool_suppression_rules') }}

),

reachable as (

    -- only an address the tools can match: never an erased contact's
    select
        suppressions.contact_key,
        {{ normalize_email('suppressions.email') }} as email,
        suppressions.reason,
        suppressions.scope,
        suppressions.channel,
        suppressions.purpose,
        suppressions.evidence_event_id
    from suppressions
    inner join contacts on contacts.contact_key = suppressions.contact_key
    where suppressions.email is not null
        and not contacts.is_erased

),

flagged as (

    select
        reachable.*,
        rules.flag
    from reachable
    left join rules
        on rules.reason = reachable.reason
        and rules.channel in ('any', coalesce(reachable.channel, 'email'))

),

final as (

    select
        flag,
        contact_key,
        email,
        reason,
        scope,
        channel,
        purpose,
        evidence_event_id
    from flagged

)

select * from final
