{{ per_contact_incremental_config() }}

{#- Every contact × purpose × channel interval of the resolver (int_consent_history__resolved), as
    published. Incremental by contact (issue 9): a night rewrites only int_contacts__affected, the
    contacts the resolver recomputed, so it follows the resolver's rows exactly (no column here
    depends on the run date by itself). -#}
-- depends_on: {{ ref('int_contacts__affected') }}
with

history as (

    select * from {{ ref('int_consent_history__resolved') }}
    where {{ is_affected_contact() }}

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
