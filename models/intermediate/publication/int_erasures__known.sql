{#- Every erasure known to the warehouse, whatever the run date: one row per contact. Erasure is
    permanent, so a backfill of a day before the request (whose events stop at its as_of) still
    never publishes the address. Known means: an erasure event of this build, an erasure request
    landed on any date (read here from the landed lines without the run-date filter), or an
    erasure an earlier publish recorded in the ledger (Salesforce ShouldForget among them).
    A request counts from its received_at, else from its file's landing date. -#}
with

build_erasures as (

    select contact_key, erased_at, erasure_event_id
    from {{ ref('int_contacts__resolved') }}
    where is_erased

),

request_lines as (

    select extract_date, {{ json_parse('raw_text') }} as doc
    from {{ ref('base_landing__lines') }}
    where source_system = 'requests'
        and entity = 'privacy_requests'
        and line_number > 0
        and file_error is null

),

requests as (

    select
        extract_date,
        {{ normalize_email(json_text('doc', '$.email')) }} as email,
        lower({{ json_text('doc', '$.type') }}) as request_type,
        {{ to_utc_timestamp(json_text('doc', '$.received_at')) }} as received_at
    from request_lines
    where doc is not null

),

request_erasures as (

    select
        {{ contact_key('email') }} as contact_key,
        coalesce(received_at, cast(extract_date as timestamp)) as erased_at,
        cast(null as {{ dbt.type_string() }}) as erasure_event_id
    from requests
    where request_type = 'erasure' and {{ is_valid_email('email') }}

),

ledger_erasures as (

    select
        contact_key,
        occurred_at as erased_at,
        case when item_key <> 'erasure' then item_key end as erasure_event_id
    from {{ ref('int_publication_ledger__published') }}
    where entry = 'erasure'

),

unioned as (

    select * from build_erasures
    union all
    select * from request_erasures
    union all
    select * from ledger_erasures

),

final as (

    select
        contact_key,
        min(erased_at) as erased_at,
        min(erasure_event_id) as erasure_event_id
    from unioned
    group by contact_key

)

select * from final
