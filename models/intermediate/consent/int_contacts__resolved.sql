{{ per_contact_incremental_config() }}

{#- One row per contact: identity, erasure, and jurisdiction. Where sources disagree on the
    country the strictest regime wins; no known country means the strictest regime (fail closed). -#}
-- depends_on: {{ ref('int_contacts__affected') }}
with

events as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event' and {{ is_affected_contact() }}

),

countries as (

    select * from {{ ref('int_contact_countries__unioned') }}
    where {{ is_affected_contact() }}

),

jurisdictions as (

    select * from {{ ref('int_jurisdictions__ranked') }}

),

identities as (

    select
        contact_key,
        -- display only: contact_key is the identity; an erased contact's email may already be
        -- purged (null) in the events, and is withheld below anyway
        min(email) as email,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        string_agg(distinct source_system, ',' order by source_system) as source_systems,
        min(occurred_at) filter (where action = 'erasure') as erased_at,
        min(event_id) filter (where action = 'erasure') as erasure_event_id
    from events
    group by contact_key

),

country_regimes as (

    select
        countries.contact_key,
        countries.country_code,
        jurisdictions.jurisdiction_code,
        jurisdictions.strictness_rank
    from countries
    inner join jurisdictions
        on jurisdictions.country_code = countries.country_code
        and coalesce(jurisdictions.subdivision_code, '') = coalesce(countries.subdivision_code, '')

),

unknown_countries as (

    -- a country we have no jurisdiction row for is as good as unknown
    select countries.contact_key, countries.country_code
    from countries
    left join country_regimes
        on country_regimes.contact_key = countries.contact_key
        and country_regimes.country_code = countries.country_code
    where country_regimes.contact_key is null

),

strictest as (

    select
        contact_key,
        -- ties (FR and IT) broken by code so the answer is reproducible
        first(jurisdiction_code order by strictness_rank desc, jurisdiction_code) as jurisdiction_code,
        string_agg(distinct country_code, ',' order by country_code) as country_codes
    from country_regimes
    where contact_key not in (select contact_key from unknown_countries)
    group by contact_key

),

final as (

    select
        identities.contact_key,
        case when identities.erased_at is null then identities.email end as email,
        identities.erased_at is not null as is_erased,
        identities.erased_at,
        identities.erasure_event_id,
        identities.first_event_at,
        identities.last_event_at,
        identities.source_systems,
        strictest.country_codes,
        coalesce(strictest.jurisdiction_code, 'ZZ') as jurisdiction_code
    from identities
    left join strictest on strictest.contact_key = identities.contact_key

)

select * from final
