{{ config(materialized='view') }}

{#- Tonight's inputs of the resolver per contact, as fingerprints (issue 9): the count and an
    order-free fingerprint of its accepted events, a fingerprint of its country rows, and one of
    the seeds the resolved models read and of the resolver's own SQL (the same on every row). int_contacts__affected compares
    them with the ones stored after the last successful run. A view: it is read once a night.
    The plain email is not an input: it is a function of contact_key until the erasure purge
    clears it (macros/purge.sql), and a purge must not count as a change of the contact. -#}
with

events as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event'

),

countries as (

    select * from {{ ref('int_contact_countries__unioned') }}

),

event_fingerprints as (

    select
        contact_key,
        count(*) as event_count,
        {{ row_fingerprint([
            'event_id', 'source_system', 'scope', 'channel', 'purpose', 'action', 'lawful_basis',
            'occurred_at', 'capture_method', 'capture_point', 'policy_version', 'was_prechecked',
            'double_opt_in_at', 'country_code', 'expires_at',
        ]) }} as event_fingerprint
    from events
    group by contact_key

),

country_fingerprints as (

    -- the jurisdiction reads only which countries (and states) a contact has, not who gave them
    -- or when they were last seen
    select
        contact_key,
        {{ row_fingerprint(['country_code', 'subdivision_code']) }} as country_fingerprint
    from (select distinct contact_key, country_code, subdivision_code from countries) as distinct_countries
    group by contact_key

),

seed_fingerprint as (

    -- the seeds the resolved models read, and their SQL: any change re-resolves everyone
    select {{ row_fingerprint(['seed_name', 'seed_row']) }} as seeds_fingerprint
    from (
        select 'jurisdictions' as seed_name, {{ row_as_text('jurisdictions') }} as seed_row
        from {{ ref('jurisdictions') }} as jurisdictions
        union all
        select 'consent_purposes', {{ row_as_text('consent_purposes') }}
        from {{ ref('consent_purposes') }} as consent_purposes
        union all
        select 'policy_versions', {{ row_as_text('policy_versions') }}
        from {{ ref('policy_versions') }} as policy_versions
        union all
        -- and the resolver's own rules: a deploy that changes them re-resolves everyone
        select 'rules', '{{ resolver_rules_fingerprint() }}'
    ) as seed_rows

),

final as (

    select
        coalesce(event_fingerprints.contact_key, country_fingerprints.contact_key) as contact_key,
        coalesce(event_fingerprints.event_count, 0) as event_count,
        event_fingerprints.event_fingerprint,
        country_fingerprints.country_fingerprint,
        seed_fingerprint.seeds_fingerprint
    from event_fingerprints
    full outer join country_fingerprints on country_fingerprints.contact_key = event_fingerprints.contact_key
    cross join seed_fingerprint

)

select * from final
