{#- One row per entry found under the landing folder by this run's scan (any depth, any type), with
    what the run does with it: read it, defer it to a later run, or quarantine it (and why).
    Rebuilt every run from the scan, so a quarantined file that is removed stops blocking and one
    that is replaced is judged again. Rules, in order:
    - never read: a link or a special file (pipe, socket, device), or an entry that cannot be read;
    - deferred (wait for the next run, never quarantined): names upload tools use while writing
      (a path part starting with `.` or `_`, a name ending in `.tmp` or `.part`) and files
      modified less than CONSENT_LEDGER_SETTLE_SECONDS ago (default 60);
    - quarantined: outside <source>/<yyyy-mm-dd>/<file> (directly under the landing folder or a
      source folder, one folder too deep, an unknown source, a date folder that is not a date), a
      name no landing_file_kinds row matches, or content that is not text at all (a compression or
      binary signature, or no record that decodes as UTF-8 without NUL bytes).
    file_name is the path under the landing folder as published everywhere downstream (audit
    tables, consent_events, the run report, the CLI). A name can hold an address
    (`carla@example.com.jsonl`, `%40` spelled): it is masked like a raw line (mask_personal_data,
    its .jsonl/.csv extension kept) and followed by `[path sha256:<first 12 hex>]`, the SHA-256 of
    the real path, so two such files never share a name and an operator can find the file;
    file_contact_key is the contact key of the address it names.
    path_key (the SHA-256 of the absolute path, computed once by the scan) identifies the file
    downstream; the path itself stays in base_landing__scan alone, where the purge clears it for a
    file whose name names an erased person. -#}
{%- set settle_seconds = env_var('CONSENT_LEDGER_SETTLE_SECONDS', '60') | float -%}

with

scan as (

    select * from {{ ref('base_landing__scan') }}

),

file_kinds as (

    select * from {{ ref('landing_file_kinds') }}

),

entries as (

    select * from scan
    where line_number = 0

),

record_facts as (

    select path_key, count(*) filter (where has_nul) as records_with_nul
    from scan
    where line_number > 0
    group by path_key

),

located as (

    select
        entries.*,
        length(relative_path) - length(replace(relative_path, '/', '')) + 1 as path_depth,
        {{ dbt.split_part('relative_path', "'/'", 1) }} as first_part,
        {{ dbt.split_part('relative_path', "'/'", 2) }} as second_part,
        {{ dbt.split_part('relative_path', "'/'", 3) }} as third_part
    from entries

),

named as (

    select
        located.*,
        case when path_depth >= 2 then first_part else '(landing root)' end as source_system,
        case when path_depth = 3 then {{ landing_folder_date('second_part') }} end
            as extract_date,
        case when path_depth = 3 then third_part end as base_name,
        first_part in (select source_system from file_kinds) as is_known_source
    from located

),

kinds as (

    select
        named.*,
        kind.entity,
        kind.file_format,
        kind.file_prefix,
        row_number() over (
            partition by named.path_key order by length(kind.file_prefix) desc nulls last
        ) as kind_rank
    from named
    left join file_kinds as kind
        on kind.source_system = named.source_system
        and substring(named.base_name, 1, length(kind.file_prefix)) = kind.file_prefix
        and {{ dbt.right('named.base_name', 'length(kind.file_format) + 1') }} = '.' || kind.file_format

),

judged as (

    select
        kinds.*,
        case
            when read_error is not null then 'unreadable'
            when entry_type = 'symlink' then 'symlink'
            when entry_type <> 'file' then 'not_regular_file'
        end as never_read_reason,
        case
            when {{ dbt.position("'/.'", "'/' || relative_path") }} > 0
                or {{ dbt.position("'/_'", "'/' || relative_path") }} > 0
                or lower(relative_path) like '%.tmp'
                or lower(relative_path) like '%.part'
                then 'in_flight_name'
            when age_seconds < {{ settle_seconds }} then 'settling'
        end as deferral_reason,
        case
            when path_depth = 1 then 'outside_source_folder'
            when not is_known_source then 'unknown_source'
            when path_depth = 2 then 'directly_under_source'
            when path_depth > 3 then 'too_deep'
            when extract_date is null then 'bad_landing_path'
            when entity is null then 'unrecognized_file'
        end as path_reason,
        case
            when head_hex like '1F8B%' then 'compressed_gzip'
            when head_hex like '504B0304%' then 'compressed_zip'
            when head_hex like '425A68%' then 'compressed_bzip2'
            when head_hex like 'FD377A585A00%' then 'compressed_xz'
            when head_hex like '28B52FFD%' then 'compressed_zstd'
            when head_hex like '377ABCAF271C%' then 'compressed_7z'
            when head_hex like '25504446%' then 'binary_pdf'
            when head_hex like '89504E47%' or head_hex like 'FFD8FF%' then 'binary_image'
            when head_hex like '50415231%' then 'binary_parquet'
            when head_hex like 'D0CF11E0%' then 'binary_office'
            when head_hex like '53514C69%' then 'binary_sqlite'
            when head_hex like 'FFFE%' or head_hex like 'FEFF%' then 'not_utf8_text'
            when records > 0 and decodable_records = 0 and coalesce(record_facts.records_with_nul, 0) > 0
                then 'binary_content'
            when records > 0 and decodable_records = 0 then 'not_utf8_text'
        end as content_reason
    from kinds
    left join record_facts on record_facts.path_key = kinds.path_key
    where kind_rank = 1

),

extensions as (

    select
        judged.*,
        case
            when lower({{ dbt.right('relative_path', '6') }}) = '.jsonl' then 6
            when lower({{ dbt.right('relative_path', '4') }}) = '.csv' then 4
            else 0
        end as extension_length
    from judged

),

split_names as (

    select
        extensions.*,
        substring(relative_path, 1, length(relative_path) - extension_length) as path_stem,
        {{ dbt.right('relative_path', 'extension_length') }} as path_extension,
        -- whose address the name holds: the part after the kind's prefix (`submissions_` would
        -- otherwise be read as the start of the address)
        case
            when file_prefix is not null then ltrim(
                substring(base_name, length(file_prefix) + 1, length(base_name) - length(file_prefix) - extension_length),
                '_-'
            )
            else substring(relative_path, 1, length(relative_path) - extension_length)
        end as name_for_key
    from extensions

),

masked as (

    -- the stem is masked first so the extension is not taken for part of a domain; then the whole
    -- name again, for an address that only the extension completes
    select
        split_names.*,
        {{ mask_personal_data(mask_personal_data('path_stem') ~ ' || path_extension') }} as masked_path,
        {{ first_email_key('name_for_key') }} as file_contact_key
    from split_names

),

final as (

    select
        path_key,
        case
            when masked_path = relative_path then relative_path
            else masked_path || ' [path sha256:' || substring({{ sha256_hex('relative_path') }}, 1, 12) || ']'
        end as file_name,
        file_contact_key,
        source_system,
        entity,
        file_format,
        extract_date,
        entry_type,
        file_bytes,
        modified_at,
        content_sha256,
        records,
        case
            when never_read_reason is not null then 'quarantined'
            when deferral_reason is not null then 'deferred'
            when path_reason is not null or content_reason is not null then 'quarantined'
            else 'to_read'
        end as file_status,
        coalesce(never_read_reason, deferral_reason, path_reason, content_reason) as file_reason
    from masked

)

select * from final
