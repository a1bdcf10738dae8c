with

history as (

    select * from {{ ref('int_consent_history__resolved') }}

),

final as (

    select
        contact_key,
        purpose,
        channel,
        valid_from,
        valid_to,
        status,
        can_contact,
        blocked_reason,
        lawful_basis,
        granted_at,
        expires_at,
        policy_version,
        jurisdiction,
        regime,
        evidence_event_id
    from history

)

select * from final
