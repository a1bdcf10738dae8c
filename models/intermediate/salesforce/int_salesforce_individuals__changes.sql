{#- Salesforce Individual snapshots as versions: one row per usable individual line (parsed, not
    deleted), with the previous version's privacy flags. is_opted_out combines HasOptedOutSolicit
    and HasOptedOutProcessing: a person who objected to processing may not be solicited either
    (fail closed), so either flag is a global opt-out and the opt-out is lifted only when both
    are false again. -#}
with

individuals as (

    select * from {{ ref('stg_salesforce__individuals') }}
    where not is_header and parse_error is null and not is_deleted

),

observations as (

    select
        *,
        has_opted_out_solicit or has_opted_out_processing as is_opted_out
    from individuals

),

versions as (

    {{ snapshot_versions(
        'observations',
        ['individual_id'],
        'last_modified_at',
        ['is_opted_out', 'should_forget']
    ) }}

),

final as (

    select * from versions

)

select * from final
