{#- The audit trail: one row per canonical consent event (duplicates and rejections excluded).
    Free text copied from the tools (capture_point: form ids, page URLs, list and campaign names;
    source_record_id and policy_version as the tool wrote them) can name a person, so it is
    published through the redaction macros for every contact: addresses in any spelling masked,
    URL query strings dropped (macros/redaction.sql).

    A table, rebuilt every night (issue 9, decided): incremental by file it would have to know
    which files int_consent_events__deduplicated rewrote since this table was written (a later
    reading can move an event to another file, or change its proof without moving it), and its
    contract has no column to remember that (written_at is not published). On the 1M benchmark
    an empty night's rebuild costs ~4 CPU s, most of it writing the rows. -#}
with

events as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event'

),

final as (

    select
        event_id,
        contact_key,
        source_system,
        {{ mask_emails('source_record_id') }} as source_record_id,
        scope,
        channel,
        purpose,
        action,
        lawful_basis,
        occurred_at,
        capture_method,
        {{ redact_free_text('capture_point') }} as capture_point,
        {{ mask_emails('policy_version') }} as policy_version,
        was_prechecked,
        double_opt_in_at,
        country_code,
        expires_at,
        ip_hash,
        file_name,
        line_number,
        element_index,
        loaded_at
    from events

)

select * from final
