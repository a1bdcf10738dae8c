{{ config(contract={'enforced': true}) }}

{#- The history interval still open at the end of the run date: current status and evidence.
    A published status is used all day after the run: decision_valid_until says until when it
    holds without a new event (the grant's lapse, a confirmation, a re-consent policy taking
    effect); null when nothing is scheduled. -#}
with

history as (

    select * from {{ ref('int_consent_history__resolved') }}

),

final as (

    select
        contact_key,
        purpose,
        channel,
        status,
        can_contact,
        blocked_reason,
        lawful_basis,
        granted_at,
        expires_at,
        policy_version,
        jurisdiction,
        regime,
        evidence_event_id,
        decision_valid_until,
        {{ as_of_date() }} as as_of
    from history
    where valid_to is null

)

select * from final
