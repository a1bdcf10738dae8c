{{ per_contact_incremental_config(
    post_hook="{% if is_incremental() %}update {{ this }} set as_of = {{ as_of_date() }} where as_of is distinct from {{ as_of_date() }}{% endif %}",
) }}

{#- The history interval still open at the end of the run date: current status and evidence.
    A published status is used all day after the run: decision_valid_until says until when it
    holds without a new event (the grant's lapse, a confirmation, a re-consent policy taking
    effect); null when nothing is scheduled.

    exclusion_reason: why the cell is not in consent.marketable_audience (null when it is), in the
    words of the export's per-reason counts; the send-date horizon ("decision_valid_until before
    the send ends: expired") is the export's, since only it knows the send date.

    Incremental by contact (issue 9): a night rewrites only int_contacts__affected. Every column
    but as_of is the contact's own (decision_valid_until is the resolver's, which recomputes the
    contact when that instant passes); as_of is the run date on every row, so the post-hook sets
    it on the rows kept from earlier nights (one constant column, not a rebuild). -#}
-- depends_on: {{ ref('int_contacts__affected') }}
with

history as (

    select * from {{ ref('int_consent_history__resolved') }}
    where valid_to is null and {{ is_affected_contact() }}

),

contacts as (

    select * from {{ ref('int_contacts__resolved') }}
    where {{ is_affected_contact() }}

),

with_audience as (

    -- the cells consent.marketable_audience publishes: contact allowed, contact not erased
    select
        history.*,
        history.can_contact and not contacts.is_erased as is_in_audience
    from history
    inner join contacts on contacts.contact_key = history.contact_key

),

final as (

    select
        contact_key,
        purpose,
        channel,
        status,
        can_contact,
        blocked_reason,
        case
            when is_in_audience then null
            when status in ('withdrawn', 'suppressed') then 'suppressed:' || coalesce(blocked_reason, status)
            when status = 'invalid' then 'invalid:' || coalesce(blocked_reason, 'unknown')
            when status = 'not_given' then 'not_consented'
            when status = 'pending' then 'pending'
            when status = 'expired' then 'expired'
            when status = 'reconsent_required' then 'reconsent_required'
            when can_contact then 'not_in_audience'
            else 'not_consented'
        end as exclusion_reason,
        lawful_basis,
        granted_at,
        expires_at,
        policy_version,
        jurisdiction,
        regime,
        evidence_event_id,
        decision_valid_until,
        {{ as_of_date() }} as as_of
    from with_audience

)

select * from final
