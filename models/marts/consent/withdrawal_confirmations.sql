{{ config(contract={'enforced': true}) }}

{#- The outbox of withdrawal confirmations owed: every opt-out first published by this run whose
    reason the withdrawal_confirmation_rules seed says to confirm, to a reachable address only (never
    an erased, bouncing or complaining one). One row per contact. -#}
with

sla as (

    select * from {{ ref('withdrawal_sla') }}

),

suppressions as (

    select * from {{ ref('suppression_list') }}

),

rules as (

    select * from {{ ref('withdrawal_confirmation_rules') }}
    where send_confirmation

),

contacts as (

    select * from {{ ref('contacts') }}

),

owed as (

    select sla.*
    from sla
    inner join rules on rules.reason = sla.reason
    where sla.first_published_as_of = {{ as_of_date() }}

),

unreachable as (

    select distinct suppressions.contact_key
    from suppressions
    left join {{ ref('withdrawal_confirmation_rules') }} as seed_rules on seed_rules.reason = suppressions.reason
    where not coalesce(seed_rules.send_confirmation, false)

),

final as (

    select
        contacts.email,
        owed.contact_key,
        string_agg(
            concat_ws(':', owed.reason, nullif(concat_ws('/', owed.purpose, owed.channel), '')),
            '; ' order by owed.suppressed_since, owed.reason, owed.purpose, owed.channel
        ) as withdrawals,
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
