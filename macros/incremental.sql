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
