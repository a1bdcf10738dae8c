{#- The outbox of re-consent requests: contacts holding a grant a newer notice requires fresh
    consent for, never anyone with a suppression of any kind, never an erased contact. A request is
    owed once per contact × purpose × channel × notice version (the latest notice requiring
    re-consent for the purpose, in force on the run date): after an outbox handed it to the email
    tool (audit.publication_ledger) it is owed again only when the person has not answered within
    reask_after_days (outbox_rules seed). Answering (a new grant, an opt-out) ends the
    reconsent_required status and so the request. A backfill owes nothing. -#}
with

status as (

    select * from {{ ref('consent_status') }}
    where status = 'reconsent_required'

),

contacts as (

    select * from {{ ref('contacts') }}

),

suppressed as (

    select distinct contact_key from {{ ref('suppression_list') }}

),

reconsent_notices as (

    select * from {{ ref('policy_versions') }}
    where requires_reconsent and effective_from <= {{ as_of_date() }}

),

rules as (

    select * from {{ ref('outbox_rules') }}
    where outbox = 'reconsent_request'

),

handed as (

    select contact_key, item_key, max(recorded_as_of) as last_asked_as_of
    from {{ ref('int_publication_ledger__published') }}
    where entry = 'reconsent_request'
    group by contact_key, item_key

),

run_kind as (

    select * from {{ ref('int_publication__run_kind') }}

),

notice_per_cell as (

    -- the latest notice (by effective date) that requires re-consent for the cell's purpose
    select
        status.contact_key,
        status.purpose,
        status.channel,
        status.policy_version,
        status.granted_at,
        reconsent_notices.version as requested_policy_version,
        row_number() over (
            partition by status.contact_key, status.purpose, status.channel
            order by reconsent_notices.effective_from desc, reconsent_notices.version desc
        ) as notice_rank
    from status
    inner join reconsent_notices
        on reconsent_notices.purposes_affected = 'all'
        or '|' || reconsent_notices.purposes_affected || '|' like '%|' || status.purpose || '|%'

),

cells as (

    select
        contact_key,
        purpose,
        channel,
        policy_version,
        granted_at,
        requested_policy_version,
        purpose || '/' || channel || '@' || requested_policy_version as request_key
    from notice_per_cell
    where notice_rank = 1

),

owed as (

    select cells.*
    from cells
    cross join run_kind
    cross join rules
    left join handed
        on handed.contact_key = cells.contact_key
        and handed.item_key = cells.request_key
    where run_kind.run_kind <> 'backfill'
        and (
            handed.contact_key is null
            or handed.last_asked_as_of <= cast({{ dbt.dateadd('day', '-1 * rules.reask_after_days', as_of_date()) }} as date)
        )

),

final as (

    select
        contacts.email,
        owed.contact_key,
        {{ dbt.listagg("owed.purpose || '/' || owed.channel", "'; '", "order by owed.purpose, owed.channel") }}
            as purposes,
        {{ dbt.listagg("coalesce(owed.policy_version, '?')", "'; '", "order by owed.purpose, owed.channel") }}
            as granted_under_policy,
        {{ dbt.listagg("owed.request_key", "'; '", "order by owed.purpose, owed.channel") }} as request_keys,
        min(owed.granted_at) as first_granted_at,
        contacts.jurisdiction
    from owed
    inner join contacts on contacts.contact_key = owed.contact_key
    where contacts.email is not null
        and not contacts.is_erased
        and owed.contact_key not in (select contact_key from suppressed)
    group by contacts.email, owed.contact_key, contacts.jurisdiction

)

select * from final
