{#- The cells an event reaches (issue 14: the rule lives once). `cells` is a relation shaped like
    int_consent_cells__spined, `events` one of accepted events (int_consent_events__deduplicated
    columns). One row per event × cell it touches: a global event reaches every cell of the
    contact (a sale opt-out only its sale or sharing purposes), a channel event the cells of its
    channel, a purpose event its purpose (on its channel, or every channel when it names none);
    only actions that decide consent. kind is the resolver's class of the event, priority orders
    events at one instant. Published as int_consent_events__cells (read by suppression_list and
    the gate); the resolver applies the same macro to its own slice, so its unit tests keep
    mocking events, not pre-joined cells. -#}
{% macro consent_event_cells(cells, events) -%}
    select
        {{ cells }}.contact_key,
        {{ cells }}.purpose,
        {{ cells }}.channel,
        {{ events }}.event_id,
        {{ events }}.source_system,
        {{ events }}.action,
        {{ events }}.scope,
        {{ events }}.occurred_at,
        {{ action_priority(events ~ '.action') }} as priority,
        case
            when {{ events }}.action = 'erasure' then 'erasure'
            when {{ events }}.action in ('undeliverable', 'complaint') then 'delivery'
            when {{ events }}.action = 'sale_opt_out' then 'sale'
            when {{ events }}.scope = 'purpose' then 'purpose'
            when {{ events }}.scope = 'global' then 'global'
            when {{ events }}.scope = 'channel' then 'channel'
        end as kind
    from {{ cells }}
    inner join {{ events }}
        on {{ events }}.contact_key = {{ cells }}.contact_key
        and (
            {{ events }}.scope = 'global'
            or ({{ events }}.scope = 'channel' and {{ events }}.channel = {{ cells }}.channel)
            or (
                {{ events }}.scope = 'purpose' and {{ events }}.purpose = {{ cells }}.purpose
                and ({{ events }}.channel is null or {{ events }}.channel = {{ cells }}.channel)
            )
        )
    where ({{ events }}.action <> 'sale_opt_out' or {{ cells }}.is_sale_or_sharing)
        and {{ events }}.action in (
            'opt_in', 'opt_out', 'pending', 'not_given',
            'undeliverable', 'complaint', 'erasure', 'sale_opt_out'
        )
{%- endmacro %}
