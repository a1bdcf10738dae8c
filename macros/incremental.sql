{#- When this dbt run started (UTC), as a timestamp: the written_at of every row a model writes
    in this run. Downstream incremental models read it as a watermark ("rows written since the
    run I last consumed"): unlike loaded_at (the run date a line was first read, kept when a row
    is re-judged), it moves whenever a row is (re)written, so a re-judged row is seen again. -#}
{% macro run_written_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- pre_hook of a model incremental by landed file (delete+insert by file_name): remove the files
    that are no longer landed lines in scope for the run date, so the table stays the one a full
    refresh builds (delete+insert alone replaces only the files present in the new slice). -#}
{% macro delete_files_out_of_scope(lines_relation) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where file_name not in (
        select file_name from {{ lines_relation }}
        where line_number > 0 and extract_date <= {{ as_of_date() }}
    )
    {%- endif -%}
{%- endmacro %}

{#- The values of the first column of `sql`, asked while the model is rendered (run_query). An
    incremental model asks its change detection for the files to rewrite and renders them as
    constants (value_in): the slice is then known before the query is planned, so the scans filter
    by file themselves, whichever side of a join the engine would hash (that follows its row
    estimates), and a night with nothing new renders an empty slice that reads no row's payload
    (issue 9). During parse, when nothing runs, it answers none (not known). -#}
{% macro query_values(sql) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query(sql) -%}
    {{ return(result.columns[0].values() | list) }}
{%- endmacro %}

{#- `column` is one of `values` (strings), as SQL: an `in` list of quoted constants, or false when
    there are none. -#}
{% macro value_in(column, values) -%}
    {%- if values -%}
        {{ column }} in (
        {%- for value in values -%}
            '{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}
        {%- endfor -%}
        )
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}
