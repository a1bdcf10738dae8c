{#- Every country a source has given for a contact. Sources that give country outside events
    (CRM contact records) add a CTE here.
    Point in time: every record counts only from its own timestamp. Countries on events come
    from accepted events (occurred before the end of the run date); a HubSpot contact, Marketo
    lead or Salesforce contact record counts only when its own update time is before the end of
    the run date, so a record dated later (even one inside an earlier landing folder) never
    changes a past jurisdiction, and a rerun for an earlier as_of gives the same answer.
    written_at: when the run that (re)wrote the row started (macros/incremental.sql); the
    resolver's watermark. -#}
with

events as (

    -- re-deliveries too: when readings of one event disagree on the country, the accepted event
    -- carries none, and every country a reading gives must still count (strictest wins)
    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome in ('event', 'duplicate')

),

from_events as (

    select
        contact_key,
        country_code,
        cast(null as varchar) as subdivision_code,
        source_system,
        max(occurred_at) as observed_at
    from events
    where country_code is not null
    group by all

),

onetrust_receipts as (

    select * from {{ ref('stg_onetrust__consent_receipts') }}

),

jurisdiction_subdivisions as (

    select country_code, subdivision_code from {{ ref('jurisdictions') }}
    where subdivision_code is not null

),

from_onetrust_subdivisions as (

    -- OneTrust geoLocation.state, where the jurisdictions seed has a row for it (US-CA →
    -- California); any other state leaves the contact on its country row
    select
        events.contact_key,
        events.country_code,
        jurisdiction_subdivisions.subdivision_code,
        events.source_system,
        max(events.occurred_at) as observed_at
    from events
    inner join onetrust_receipts
        on onetrust_receipts.file_name = events.file_name
        and onetrust_receipts.line_number = events.line_number
    inner join jurisdiction_subdivisions
        on jurisdiction_subdivisions.country_code = events.country_code
        and jurisdiction_subdivisions.subdivision_code = onetrust_receipts.subdivision_code
    where events.source_system = 'onetrust'
    group by all

),

hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

marketo_leads as (

    select * from {{ ref('stg_marketo__leads') }}

),

hubspot_marketo_country_names as (

    select * from {{ ref('country_names') }}

),

from_hubspot_contacts as (

    -- HubSpot contact records: properties.country is free text (an ISO code or a name)
    select
        hubspot_contacts.contact_key,
        coalesce(hubspot_marketo_country_names.country_code, hubspot_contacts.country_code) as country_code,
        cast(null as varchar) as subdivision_code,
        hubspot_contacts.source_system,
        max(hubspot_contacts.updated_at) as observed_at
    from hubspot_contacts
    left join hubspot_marketo_country_names
        on lower(trim(hubspot_marketo_country_names.country_name)) = lower(trim(hubspot_contacts.country_raw))
    where hubspot_contacts.parse_error is null
        and hubspot_contacts.updated_at < {{ as_of_instant() }}
        and coalesce(hubspot_marketo_country_names.country_code, hubspot_contacts.country_code) is not null
    group by all

),

from_marketo_leads as (

    -- Marketo lead records: country is free text (an ISO code or a name)
    select
        marketo_leads.contact_key,
        coalesce(hubspot_marketo_country_names.country_code, marketo_leads.country_code) as country_code,
        cast(null as varchar) as subdivision_code,
        marketo_leads.source_system,
        max(marketo_leads.updated_at) as observed_at
    from marketo_leads
    left join hubspot_marketo_country_names
        on lower(trim(hubspot_marketo_country_names.country_name)) = lower(trim(marketo_leads.country_raw))
    where not marketo_leads.is_header and marketo_leads.parse_error is null
        and marketo_leads.updated_at < {{ as_of_instant() }}
        and coalesce(hubspot_marketo_country_names.country_code, marketo_leads.country_code) is not null
    group by all

),

salesforce_contacts as (

    select * from {{ ref('int_salesforce_contacts__changes') }}

),

from_salesforce_contacts as (

    -- Salesforce Contact records (MailingCountry, a name or a code, resolved to ISO alpha-2);
    -- a contact whose events already carry that country is there through from_events
    select
        contact_key,
        country_code,
        cast(null as varchar) as subdivision_code,
        source_system,
        max(last_modified_at) as observed_at
    from salesforce_contacts
    where country_code is not null
        and last_modified_at < {{ as_of_instant() }}
        and not exists (
            select 1 from from_events
            where from_events.contact_key = salesforce_contacts.contact_key
                and from_events.country_code = salesforce_contacts.country_code
                and from_events.source_system = salesforce_contacts.source_system
        )
    group by all

),

unioned as (

    select * from from_events
    union all
    select * from from_hubspot_contacts
    union all
    select * from from_marketo_leads
    union all
    select * from from_salesforce_contacts
    union all
    select * from from_onetrust_subdivisions

),

final as (

    -- a subdivision refines its country: a contact known to be in US-CA is not also a bare US
    -- row (both rank equal, so keeping both would make the jurisdiction a coin toss)
    select
        contact_key,
        country_code,
        subdivision_code,
        source_system,
        observed_at,
        {{ run_written_at() }} as written_at
    from unioned
    where subdivision_code is not null
        or not exists (
            select 1
            from unioned as refined
            where refined.contact_key = unioned.contact_key
                and refined.country_code = unioned.country_code
                and refined.subdivision_code is not null
        )

)

select * from final
