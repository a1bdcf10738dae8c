{#- Marketo lead snapshots as versions of their consent flags: one row per usable lead line
    (parsed, not the header) and flag it carries; a blank flag is no observation. Like the other
    snapshot sources, the first version or a change of a flag is an event (int_marketo_events__mapped).
    Histories are kept per lead id and address, so the unsubscribe follows the address, not the
    lead (Marketo's durable unsubscribe): a lead whose email changes starts a new history for the
    new address (its first `false` is no event) and the old address keeps its opt-out. They are
    not merged across duplicate leads of one address: a stale `false` on a duplicate lead that
    was never unsubscribed must not lift the address's opt-out (fail closed); only a lead that
    itself went true → false lifts. marketingSuspended is kept the same way. The address is told
    by its contact_key, not the plain email, which the erasure purge clears (macros/purge.sql). -#}
with

leads as (

    select * from {{ ref('stg_marketo__leads') }}
    where not is_header and parse_error is null

),

unsubscribed_observations as (

    select
        source_system, file_name, line_number, loaded_at, lead_id, email, contact_key,
        updated_at, is_unsubscribed as flag_value
    from leads
    where is_unsubscribed is not null

),

unsubscribed_versions as (

    {{ snapshot_versions('unsubscribed_observations', ['lead_id', 'contact_key'], 'updated_at', ['flag_value']) }}

),

suspended_observations as (

    select
        source_system, file_name, line_number, loaded_at, lead_id, email, contact_key,
        updated_at, is_marketing_suspended as flag_value
    from leads
    where is_marketing_suspended is not null

),

suspended_versions as (

    {{ snapshot_versions('suspended_observations', ['lead_id', 'contact_key'], 'updated_at', ['flag_value']) }}

),

final as (

    select
        source_system, file_name, line_number, loaded_at, lead_id, email, contact_key,
        updated_at, 'unsubscribed' as flag_name, flag_value, previous_flag_value,
        is_first_version, is_redelivery, is_unchanged
    from unsubscribed_versions

    union all

    select
        source_system, file_name, line_number, loaded_at, lead_id, email, contact_key,
        updated_at, 'marketingSuspended' as flag_name, flag_value, previous_flag_value,
        is_first_version, is_redelivery, is_unchanged
    from suspended_versions

)

select * from final
