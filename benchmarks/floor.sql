-- The floor: the least work any consent ledger must do with the landed files, in plain DuckDB.
-- Read every landed file once, parse the consent fields of every record kind, sort the events by
-- contact and time, and keep the latest event per contact x purpose x channel. No raw text kept, no
-- rejected-record reasons, no checks, no history tables, no publish: what the nightly job costs
-- beyond this is the price of those guarantees (and of overhead), so `make bench` reports the
-- pipeline as a multiple of it. `{landing}` is replaced by benchmarks/floor.py.

create temp table events as

with

webforms as (
    select email, submitted_at, kind, consents
    from read_json('{landing}/webforms/*/submissions*.jsonl', format = 'newline_delimited',
        ignore_errors = true, columns = {
            email: 'varchar', submitted_at: 'varchar', kind: 'varchar',
            consents: 'struct(purpose varchar, channel varchar, granted boolean, prechecked boolean)[]'
        })
),

webform_events as (
    select lower(trim(email)) as contact, c.purpose, c.channel,
        try_cast(submitted_at as timestamptz) as occurred_at,
        case when c.granted and not c.prechecked then 'opt_in' else 'opt_out' end as action
    from (select *, unnest(consents) as c from webforms)
    union all
    select lower(trim(email)), 'all', 'email', try_cast(submitted_at as timestamptz), 'opt_out'
    from webforms where kind = 'unsubscribe_all'
),

onetrust as (
    select identifier, interactionDate, unnest(purposes) as p
    from read_json('{landing}/onetrust/*/consent_receipts*.jsonl', format = 'newline_delimited',
        ignore_errors = true, columns = {
            identifier: 'varchar', identifierType: 'varchar', interactionDate: 'varchar',
            test: 'boolean',
            purposes: 'struct("Id" varchar, "TransactionType" varchar, "ExpiryDate" varchar)[]'
        })
    where identifierType = 'Email' and not test
),

onetrust_events as (
    select lower(trim(identifier)) as contact, p."Id" as purpose, 'email' as channel,
        try_cast(interactionDate as timestamptz) as occurred_at, p."TransactionType" as action
    from onetrust
),

hubspot_events as (
    select lower(trim(subscriberIdString)) as contact, subscriptionId as purpose,
        lower(channel) as channel, try_cast("timestamp" as timestamptz) as occurred_at,
        status as action
    from read_json('{landing}/hubspot/*/subscription_statuses*.jsonl', format = 'newline_delimited',
        ignore_errors = true, columns = {
            subscriberIdString: 'varchar', channel: 'varchar', subscriptionId: 'varchar',
            status: 'varchar', "timestamp": 'varchar'
        })
    union all
    select lower(trim(subscriberIdString)), 'all', lower(channel),
        try_cast("timestamp" as timestamptz), status
    from read_json('{landing}/hubspot/*/wide_statuses*.jsonl', format = 'newline_delimited',
        ignore_errors = true, columns = {
            subscriberIdString: 'varchar', channel: 'varchar', status: 'varchar', "timestamp": 'varchar'
        })
    union all
    select lower(trim(recipient)), 'all', 'email', epoch_ms(created), type || ':' || coalesce(category, '')
    from read_json('{landing}/hubspot/*/email_events*.jsonl', format = 'newline_delimited',
        ignore_errors = true, columns = {
            recipient: 'varchar', type: 'varchar', created: 'bigint', category: 'varchar'
        })
    where type in ('BOUNCE', 'SPAMREPORT')
),

marketo_leads as (
    select id, any_value(lower(trim(email))) as email
    from read_csv('{landing}/marketo/*/leads*.csv', header = true, auto_detect = false, delim = ',',
        quote = '"', escape = '"', ignore_errors = true, null_padding = true,
        columns = {id: 'varchar', email: 'varchar', country: 'varchar', unsubscribed: 'varchar', marketingSuspended: 'varchar', updatedAt: 'varchar'})
    group by id
),

marketo_events as (
    select coalesce(leads.email, 'marketo:' || a.leadId) as contact, 'all' as purpose,
        'email' as channel, try_cast(a.activityDate as timestamptz) as occurred_at,
        case a.activityTypeId
            when 9 then 'unsubscribe'
            when 8 then 'bounce'
            else a.primaryAttributeValue || '=' || coalesce(
                list_extract(list_filter(a.attributes, lambda x: x.name = 'New Value'), 1).value, '')
        end as action
    from read_json('{landing}/marketo/*/activities*.jsonl', format = 'newline_delimited',
        ignore_errors = true, columns = {
            marketoGUID: 'varchar', leadId: 'varchar', activityDate: 'varchar',
            activityTypeId: 'integer', primaryAttributeValue: 'varchar',
            attributes: 'struct(name varchar, value varchar)[]'
        }) as a
    left join marketo_leads as leads on leads.id = a.leadId
    where a.activityTypeId in (8, 9)
        or (a.activityTypeId = 13
            and a.primaryAttributeValue in ('Unsubscribed', 'Marketing Suspended', 'Email Invalid'))
),

mailchimp as (
    select email_address, list_id, status, last_changed, marketing_permissions
    from read_json('{landing}/mailchimp/*/members*.jsonl', format = 'newline_delimited',
        ignore_errors = true, columns = {
            email_address: 'varchar', list_id: 'varchar', status: 'varchar', last_changed: 'varchar',
            marketing_permissions: 'struct(marketing_permission_id varchar, enabled boolean)[]'
        })
),

mailchimp_events as (
    select lower(trim(email_address)) as contact, list_id as purpose, 'email' as channel,
        try_cast(last_changed as timestamptz) as occurred_at, status as action
    from mailchimp
    union all
    select lower(trim(email_address)), p.marketing_permission_id, 'email',
        try_cast(last_changed as timestamptz), case when p.enabled then 'opt_in' else 'opt_out' end
    from (select *, unnest(marketing_permissions) as p from mailchimp)
),

sf_contacts as (
    select *
    from read_csv('{landing}/salesforce/*/contact_0*.csv', header = true, auto_detect = false, delim = ',',
        quote = '"', escape = '"', ignore_errors = true, null_padding = true,
        columns = {Id: 'varchar', IndividualId: 'varchar', Email: 'varchar', MailingCountry: 'varchar', HasOptedOutOfEmail: 'varchar', DoNotCall: 'varchar', EmailBouncedDate: 'varchar', EmailBouncedReason: 'varchar', LastModifiedDate: 'varchar', IsDeleted: 'varchar'})
),

sf_individuals as (
    select *
    from read_csv('{landing}/salesforce/*/individual*.csv', header = true, auto_detect = false, delim = ',',
        quote = '"', escape = '"', ignore_errors = true, null_padding = true,
        columns = {Id: 'varchar', HasOptedOutSolicit: 'varchar', HasOptedOutProcessing: 'varchar', ShouldForget: 'varchar', LastModifiedDate: 'varchar', IsDeleted: 'varchar'})
),

sf_party_email as (
    select IndividualId, any_value(lower(trim(Email))) as email
    from sf_contacts where IndividualId <> '' group by IndividualId
),

salesforce_events as (
    select lower(trim(Email)) as contact, 'all' as purpose, 'email' as channel,
        try_strptime(LastModifiedDate, '%Y-%m-%dT%H:%M:%S.%g%z') as occurred_at,
        'opted_out=' || HasOptedOutOfEmail || ' bounced=' || coalesce(EmailBouncedDate, '') as action
    from sf_contacts
    union all
    select coalesce(e.email, 'sf:' || i.Id), 'all', 'all',
        try_strptime(i.LastModifiedDate, '%Y-%m-%dT%H:%M:%S.%g%z'),
        'solicit=' || i.HasOptedOutSolicit || ' forget=' || i.ShouldForget
    from sf_individuals as i left join sf_party_email as e on e.IndividualId = i.Id
    union all
    select coalesce(e.email, 'sf:' || c.PartyId), c.DataUsePurposeName, lower(c.ContactPointType),
        try_strptime(c.CaptureDate, '%Y-%m-%dT%H:%M:%S.%g%z'), c.PrivacyConsentStatus
    from read_csv('{landing}/salesforce/*/contact_point_type_consent*.csv', header = true, auto_detect = false, delim = ',',
        quote = '"', escape = '"', ignore_errors = true, null_padding = true,
        columns = {Id: 'varchar', PartyId: 'varchar', ContactPointType: 'varchar', DataUsePurposeName: 'varchar', PrivacyConsentStatus: 'varchar', CaptureDate: 'varchar', CaptureSource: 'varchar', CaptureContactPointType: 'varchar', DoubleConsentCaptureDate: 'varchar', EffectiveFrom: 'varchar', EffectiveTo: 'varchar', LastModifiedDate: 'varchar', IsDeleted: 'varchar'}) as c
    left join sf_party_email as e on e.IndividualId = c.PartyId
),

request_events as (
    select lower(trim(email)) as contact, 'all' as purpose, 'all' as channel,
        try_cast(received_at as timestamptz) as occurred_at, type as action
    from read_json('{landing}/requests/*/privacy_requests*.jsonl', format = 'newline_delimited',
        ignore_errors = true, columns = {email: 'varchar', type: 'varchar', received_at: 'varchar'})
)

select * from webform_events
union all select * from onetrust_events
union all select * from hubspot_events
union all select * from marketo_events
union all select * from mailchimp_events
union all select * from salesforce_events
union all select * from request_events;

-- files read once but carrying no consent event: HubSpot contacts (country), sends
create temp table other_reads as
select 'hubspot_contacts' as kind, count(properties.country) as records
from read_json('{landing}/hubspot/*/contacts*.jsonl', format = 'newline_delimited',
    ignore_errors = true, columns = {
        id: 'varchar', properties: 'struct(email varchar, country varchar)', updatedAt: 'varchar'
    })
union all
select 'sends', count(*)
from read_csv('{landing}/sends/*/sends*.csv', header = true, auto_detect = false, delim = ',',
        quote = '"', escape = '"', ignore_errors = true, null_padding = true,
        columns = {send_id: 'varchar', sent_at: 'varchar', email: 'varchar', channel: 'varchar', purpose: 'varchar', campaign_id: 'varchar', source_system: 'varchar'});

create temp table history as
select * from events where contact is not null and occurred_at is not null
order by contact, occurred_at;

create temp table latest as
select * from history
qualify row_number() over (partition by contact, purpose, channel order by occurred_at desc) = 1;
