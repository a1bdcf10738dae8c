{#- Salesforce ContactPointTypeConsent snapshots as versions: one row per usable consent line
    (parsed, not deleted), with the previous version's consent fields. A record's history is kept
    per party (PartyId): a record moved to another Individual starts a history of its own. -#}
with

consents as (

    select * from {{ ref('stg_salesforce__contact_point_type_consents') }}
    where not is_header and parse_error is null and not is_deleted

),

versions as (

    {{ snapshot_versions(
        'consents',
        ['consent_id', 'party_id'],
        'last_modified_at',
        ['contact_point_type', 'data_use_purpose_name', 'consent_action', 'captured_at',
         'double_consent_captured_at', 'effective_to']
    ) }}

),

final as (

    select * from versions

)

select * from final
