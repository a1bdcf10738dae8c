{{ mapping_config(['stg_webforms__submissions']) }}

{#- Web form submissions → outcomes: one purpose event per consent element, a global opt_out for
    unsubscribe_all and a global sale_opt_out (gpc_signal) for a GPC header; bad lines and elements
    are rejected with a reason, a signup without choices is ignored.
    Proof is carried as the form gave it, never invented (unknown is never "no"): a missing
    `prechecked` leaves was_prechecked null, which an opt-in regime treats as incomplete proof; a
    missing policy_version or double opt-in time stays null. Opt-outs have no box: null.
    Incremental by file (macros/mapping.sql): an outcome depends only on its line and the
    source_scope_map seed, so a night maps only the files staged since the last run (new, re-read
    with new content) and every file again when this model's SQL or the seed changed. -#}
with

submissions as (

    select * from {{ ref('stg_webforms__submissions') }} as staged
    where {{ mapping_slice('staged') }}

),

scope_map as (

    select * from {{ ref('source_scope_map') }}
    where source_system = 'webforms' and source_field = 'purpose'

),

rejected_lines as (

    select {{ line_outcome('rejected', 'parse_error') }}
    from submissions
    where parse_error is not null

),

valid as (

    select
        *,
        case when consents_kind = 'ARRAY' then cast(consents as json[]) else []::json[] end as consent_list
    from submissions
    where parse_error is null

),

consent_elements as (

    select
        valid.*,
        unnest(consent_list) as consent,
        generate_subscripts(consent_list, 1) as element_index
    from valid

),

elements_typed as (

    select
        consent_elements.*,
        {{ json_text('consent', '$.purpose') }} as purpose_raw,
        lower({{ json_text('consent', '$.channel') }}) as channel_raw,
        {{ parse_bool(json_text('consent', '$.granted')) }} as granted,
        {{ parse_bool(json_text('consent', '$.prechecked')) }} as prechecked,
        {{ json_text('consent', '$.prechecked') }} as prechecked_raw
    from consent_elements

),

elements_mapped as (

    select
        elements_typed.*,
        scope_map.scope as mapped_scope,
        scope_map.purpose as mapped_purpose,
        coalesce(scope_map.channel, elements_typed.channel_raw) as mapped_channel,
        case
            when json_type(consent) <> 'OBJECT' then 'invalid_consent_element'
            when purpose_raw is null then 'missing_purpose'
            when scope_map.source_value is null then 'unmapped_scope'
            when channel_raw is not null and channel_raw not in {{ known_channels() }} then 'unknown_channel'
            when scope_map.channel is not null and channel_raw is not null
                and scope_map.channel <> channel_raw then 'channel_mismatch'
            when granted is null then 'invalid_consent_flag'
            when prechecked_raw is not null and prechecked is null then 'invalid_consent_flag'
        end as element_error
    from elements_typed
    left join scope_map on scope_map.source_value = elements_typed.purpose_raw

),

rejected_elements as (

    select {{ line_outcome('rejected', 'element_error', 'element_index') }}
    from elements_mapped
    where element_error is not null

),

purpose_events as (

    select
        -- was_prechecked: unknown is never 'no': without a prechecked field the pre-check state stays unknown
        {{ canonical_event({
            'element_index': "element_index",
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "submission_id",
            'scope': "mapped_scope",
            'channel': "mapped_channel",
            'purpose': "mapped_purpose",
            'action': "case
                when granted then 'opt_in'
                -- an unticked box on a preference update withdraws; on a signup it was never given
                when kind = 'preference_update' then 'opt_out'
                else 'not_given'
            end",
            'lawful_basis': "case when granted then 'consent' else 'not_applicable' end",
            'occurred_at': "submitted_at",
            'capture_method': "case when kind = 'preference_update' then 'preference_center' else 'web_form' end",
            'capture_point': "coalesce(form_id, page_url)",
            'policy_version': "policy_version",
            'was_prechecked': "prechecked",
            'double_opt_in_at': "double_opt_in_at",
            'country_code': "country_code",
            'ip_hash': "ip_hash",
        }) }}
    from elements_mapped
    where element_error is null

),

global_opt_outs as (

    select
        {{ canonical_event({
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "submission_id",
            'scope': "'global'",
            'action': "'opt_out'",
            'lawful_basis': "'not_applicable'",
            'occurred_at': "submitted_at",
            'capture_method': "'preference_center'",
            'capture_point': "coalesce(form_id, page_url)",
            'policy_version': "policy_version",
            'country_code': "country_code",
            'ip_hash': "ip_hash",
        }) }}
    from valid
    where kind = 'unsubscribe_all'

),

gpc_signals as (

    -- a Global Privacy Control header is a CCPA opt-out of sale/sharing
    select
        {{ canonical_event({
            'element_index': "-1",
            'email': "email",
            'contact_key': "contact_key",
            'source_record_id': "submission_id",
            'scope': "'global'",
            'action': "'sale_opt_out'",
            'lawful_basis': "'not_applicable'",
            'occurred_at': "submitted_at",
            'capture_method': "'gpc_signal'",
            'capture_point': "coalesce(form_id, page_url)",
            'policy_version': "policy_version",
            'country_code': "country_code",
            'ip_hash': "ip_hash",
        }) }}
    from valid
    where gpc

),

no_choices as (

    select {{ line_outcome('ignored', "'no_consent_choices'") }}
    from valid
    where len(consent_list) = 0 and kind <> 'unsubscribe_all' and not coalesce(gpc, false)

),

outcomes as (

    select * from rejected_lines
    union all
    select * from rejected_elements
    union all
    select * from purpose_events
    union all
    select * from global_opt_outs
    union all
    select * from gpc_signals
    union all
    select * from no_choices

),

final as (

    {{ mapped_with_provenance('outcomes', ['submissions']) }}

)

select * from final
