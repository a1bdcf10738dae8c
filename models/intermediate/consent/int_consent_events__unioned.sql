{#- Adding a source: write int_<source>_events__mapped and list the source here. -#}
{%- set mapped_sources = ['webforms', 'requests', 'hubspot', 'marketo', 'onetrust', 'sends', 'salesforce', 'mailchimp'] -%}
{%- set columns = event_outcome_columns() -%}

with

{% for source in mapped_sources %}
{{ source }}_outcomes as (

    select {{ columns | join(', ') }}
    from {{ ref('int_' ~ source ~ '_events__mapped') }}

),

{% endfor %}
unioned as (

    {% for source in mapped_sources %}
    select * from {{ source }}_outcomes
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

checked as (

    select
        * exclude (outcome, reason),
        case
            when outcome = 'event' and occurred_at >= {{ as_of_instant() }} then 'rejected'
            when outcome = 'event' and occurred_at < cast('2000-01-01' as timestamp) then 'rejected'
            else outcome
        end as outcome,
        case
            when outcome = 'event' and occurred_at >= {{ as_of_instant() }} then 'occurred_after_as_of'
            when outcome = 'event' and occurred_at < cast('2000-01-01' as timestamp) then 'occurred_before_2000'
            else reason
        end as reason
    from unioned

),

final as (

    select
        {{ columns | join(', ') }},
        case when outcome = 'event' then
            {{ event_id('source_system', 'source_record_id', 'occurred_at', 'purpose', 'channel', 'action') }}
        end as event_id
    from checked

)

select * from final
