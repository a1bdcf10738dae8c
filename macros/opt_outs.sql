{#- Per-source opt-out state (issue 10): a global or channel opt-out belongs to the source that
    recorded it and stays in force until that same source lifts it (its next opt-in at the same
    scope and channel). One row per standing opt-out: consecutive opt-outs from a source count
    from the first. Ties at one instant: the opt-out is ordered last, so it wins. `events` is a
    relation with contact_key, source_system, scope, channel, action, occurred_at, event_id.
    Used by the resolver (whether contact is allowed) and suppression_list (what to list), so
    the rule lives once. -#}
{% macro opt_out_spans(events) -%}
    select
        contact_key,
        source_system,
        scope,
        channel,
        event_id,
        occurred_at as opted_out_at,
        lifted_at,
        lift_event_id
    from (
        select
            contact_key,
            source_system,
            scope,
            channel,
            event_id,
            action,
            occurred_at,
            lag(action) over (
                partition by contact_key, source_system, scope, channel
                order by occurred_at, {{ action_priority('action') }}, event_id
            ) as previous_action,
            min(case when action = 'opt_in' then occurred_at end) over (
                partition by contact_key, source_system, scope, channel
                order by occurred_at, {{ action_priority('action') }}, event_id
                rows between 1 following and unbounded following
            ) as lifted_at,
            first_value(case when action = 'opt_in' then event_id end ignore nulls) over (
                partition by contact_key, source_system, scope, channel
                order by occurred_at, {{ action_priority('action') }}, event_id
                rows between 1 following and unbounded following
            ) as lift_event_id
        from {{ events }}
        where scope in ('global', 'channel') and action in ('opt_in', 'opt_out')
    ) as source_sequence
    where action = 'opt_out' and coalesce(previous_action, 'opt_in') = 'opt_in'
{%- endmacro %}
