{{ per_contact_incremental_config(
    pre_hook=["{% if is_incremental() %}delete from {{ this }} where contact_key in (select contact_key from {{ ref('int_erasures__known') }}){% endif %}"],
) }}

{#- Who may be contacted per purpose × channel at the end of the run date. Horizon: a row holds
    until its decision_valid_until (null: nothing scheduled); a send on a later day must drop
    rows whose decision_valid_until falls before that day ends (`consent-ledger export
    --send-date` does, reason expired).

    Incremental by contact (issue 9): a night rewrites only int_contacts__affected (no column
    depends on the run date by itself). An erasure can also become known without affecting the
    contact (a request landed in a folder dated after the run date, or recorded in the ledger):
    the second pre-hook removes every known-erased contact's rows, which this model never
    publishes anyway. -#}
-- depends_on: {{ ref('int_contacts__affected') }}
with

status as (

    select * from {{ ref('consent_status') }}
    where can_contact and {{ is_affected_contact() }}

),

known_erasures as (

    select contact_key from {{ ref('int_erasures__known') }}

),

contacts as (

    -- an erasure the warehouse ever knew is permanent, even if its event could not be re-read
    select * from {{ ref('int_contacts__resolved') }}
    where {{ is_affected_contact() }}
        and not is_erased
        and contact_key not in (select contact_key from known_erasures)

),

final as (

    select
        status.contact_key,
        contacts.email,
        status.purpose,
        status.channel,
        coalesce(status.lawful_basis, 'not_applicable') as lawful_basis,
        status.granted_at,
        status.regime,
        status.decision_valid_until
    from status
    inner join contacts on contacts.contact_key = status.contact_key

)

select * from final
