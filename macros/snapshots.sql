{#- Snapshot sources (Salesforce extracts, Mailchimp member snapshots) send a record again whenever
    it changes, and sometimes send the same snapshot again. Events come from the first version of
    a record and from each change between two consecutive versions, so this macro turns the
    observations of a record into versions and hands every observation its previous version.

    - observations: a CTE or relation with file_name, line_number, the record_key columns, the
      observed_at column and the state_columns (the fields whose change can be an event).
    - A version is (record, observed_at, state): a re-delivered copy of a snapshot joins the version
      of its first delivery (is_redelivery), so a mapping model derives the same events, with the
      same event_id, and the re-delivery is counted as a duplicate downstream.
    - Versions are ordered by observed_at, then file and line of their first delivery.
    - previous_<column> is the column in the previous version (null for the first version);
      is_first_version and is_unchanged (same state as the previous version, later instant)
      tell a mapping model what kind of observation it is. -#}
{% macro snapshot_versions(observations, record_key, observed_at, state_columns) -%}
    {%- set key = record_key | join(', ') -%}
    with

    snapshot_observations as (

        select
            *,
            {{ dbt.hash(snapshot_state_text(state_columns)) }} as state_key
        from {{ observations }}

    ),

    snapshot_deliveries as (

        select
            *,
            row_number() over (
                partition by {{ key }}, {{ observed_at }}, state_key
                order by file_name, line_number
            ) as delivery_number
        from snapshot_observations

    ),

    snapshot_record_versions as (

        select
            {{ key }},
            {{ observed_at }},
            state_key,
            row_number() over record_order as version_number,
            lag(state_key) over record_order as previous_state_key,
            {%- for column in state_columns %}
            lag({{ column }}) over record_order as previous_{{ column }},
            {%- endfor %}
            lag({{ observed_at }}) over record_order as previous_observed_at
        from snapshot_deliveries
        where delivery_number = 1
        window record_order as (
            partition by {{ key }}
            order by {{ observed_at }}, file_name, line_number
        )

    )

    select
        snapshot_deliveries.*,
        snapshot_record_versions.version_number,
        snapshot_record_versions.version_number = 1 as is_first_version,
        snapshot_deliveries.delivery_number > 1 as is_redelivery,
        coalesce(snapshot_record_versions.previous_state_key = snapshot_deliveries.state_key, false)
            as is_unchanged,
        {%- for column in state_columns %}
        snapshot_record_versions.previous_{{ column }},
        {%- endfor %}
        snapshot_record_versions.previous_observed_at
    from snapshot_deliveries
    inner join snapshot_record_versions
        on {% for column in record_key -%}
        snapshot_record_versions.{{ column }} = snapshot_deliveries.{{ column }} and
        {% endfor -%}
        snapshot_record_versions.{{ observed_at }} = snapshot_deliveries.{{ observed_at }}
        and snapshot_record_versions.state_key = snapshot_deliveries.state_key
{%- endmacro %}

{#- The state columns as one text value; null is spelled out so that null and '' differ. -#}
{% macro snapshot_state_text(state_columns) -%}
    concat_ws('|'
        {%- for column in state_columns -%}
        , coalesce(cast({{ column }} as {{ dbt.type_string() }}), '<null>')
        {%- endfor -%}
    )
{%- endmacro %}
