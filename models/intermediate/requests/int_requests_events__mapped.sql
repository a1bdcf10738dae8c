{{ mapping_config(['stg_requests__privacy_requests']) }}

{#- Privacy requests → canonical events. A privacy request is never dropped: a request that names a
    valid address is honoured whatever else about it is broken, and flagged for review.
    - type: erasure → erasure (terminal), do_not_sell → sale_opt_out, objection (GDPR Art. 21) →
      global opt_out; access has no consent effect (ignored). A missing or unknown type cannot be
      an erasure (erasure is permanent and removes the plain email), and it may be an objection:
      fail closed, it is honoured as a global opt_out and flagged (missing_request_type /
      unknown_request_type).
    - when: received_at, unless it is missing, impossible (does not parse), before 2000, or after
      the end of its file's extract date (a file cannot hold a request received after it was
      extracted); then the latest instant the request can have happened: the last microsecond
      of its file's extract date (flagged missing_timestamp / invalid_timestamp /
      received_before_2000 / received_after_extract).
    - id: request_id, else 'line:' + SHA-256 of the raw line (raw_text_sha256, taken in staging),
      so a re-delivered copy is still a duplicate (flagged missing_request_id).
    - a line with NUL bytes or bytes that are not UTF-8 is read as far as it can be (flagged
      nul_bytes / invalid_utf8; it is also listed as a rejected line).
    review_reason lists every defect, comma-separated. Only a request without a usable address
    (not a JSON object, no email, not an email: email_error, judged in staging) is rejected:
    request_without_address, counted in the run report.
    Incremental by file (macros/mapping.sql): an outcome depends only on its line and its file's
    extract date and damage, so a night maps only the files staged since the last run (new,
    re-read with new content) and every file again when this model's SQL changed. -#}
with

requests as (

    select * from {{ ref('stg_requests__privacy_requests') }} as staged
    where {{ mapping_slice('staged') }}

),

line_damage as (

    -- lines read despite NUL bytes or bytes that are not UTF-8 (macros/landing.sql): flagged
    select file_name, line_number, line_error
    from {{ ref('base_landing__lines') }}
    where source_system = 'requests' and line_error is not null

),

checked as (

    select
        requests.*,
        line_damage.line_error,
        -- judged in staging while the address was known: email itself may be purged by now
        -- (macros/purge.sql), the request still names its contact by contact_key
        coalesce(requests.is_json_object, false) and requests.email_error is null and requests.contact_key is not null
            as has_address,
        request_type in ('erasure', 'do_not_sell', 'objection', 'access') as is_known_type,
        -- the last instant of the extract day: the latest a request in this file can have happened
        {{ dbt.dateadd('microsecond', -1, dbt.dateadd('day', 1, 'cast(extract_date as timestamp)')) }}
            as latest_possible_at
    from requests
    left join line_damage
        on line_damage.file_name = requests.file_name
        and line_damage.line_number = requests.line_number

),

timed as (

    select
        *,
        case
            when received_at_raw is null then 'missing_timestamp'
            when received_at is null then 'invalid_timestamp'
            when received_at < cast('2000-01-01' as timestamp) then 'received_before_2000'
            when received_at > latest_possible_at then 'received_after_extract'
        end as timestamp_defect
    from checked

),

reviewed as (

    select
        *,
        nullif(concat_ws(
            ',',
            line_error,
            case when request_id is null then 'missing_request_id' end,
            timestamp_defect,
            case
                when request_type is null then 'missing_request_type'
                when not is_known_type then 'unknown_request_type'
            end
        ), '') as review_reason_text
    from timed

),

unaddressable as (

    -- no usable address: nobody to honour it for; counted loudly in the run report
    select {{ line_outcome('rejected', "'request_without_address'") }}
    from reviewed
    where not has_address

),

no_consent_effect as (

    select {{ line_outcome('ignored', "'no_consent_effect'") }}
    from reviewed
    where has_address and request_type = 'access'

),

request_events as (

    select
        {{ canonical_event({
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "coalesce(request_id, 'line:' || raw_text_sha256)",
            'scope': "'global'",
            'action': "case
                when request_type = 'erasure' then 'erasure'
                when request_type = 'do_not_sell' then 'sale_opt_out'
                -- GDPR Art. 21 objection to direct marketing, or a type we cannot read: stop all marketing
                else 'opt_out'
            end",
            'lawful_basis': "'not_applicable'",
            'occurred_at': "case when timestamp_defect is null then received_at else latest_possible_at end",
            'capture_method': "'api'",
            'capture_point': "'privacy_request:' || case when is_known_type then request_type else 'unknown_type' end",
            'review_reason': "review_reason_text",
        }) }}
    from reviewed
    where has_address and request_type is distinct from 'access'

),

outcomes as (

    select * from unaddressable
    union all
    select * from no_consent_effect
    union all
    select * from request_events

),

final as (

    {{ mapped_with_provenance('outcomes', ['requests']) }}

)

select * from final
