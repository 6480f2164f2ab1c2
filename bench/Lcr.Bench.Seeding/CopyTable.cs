using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using NpgsqlTypes;

namespace Lcr.Bench.Seeding;

/// <summary>
/// Binary COPY of one entity type into its table, with the table, the columns and their types
/// taken from the service's own EF Core model, so the loader never keeps a second copy of the
/// schema: a column a migration adds is written (or the load fails loudly), never forgotten.
/// Columns the database numbers itself (identity columns) are left to it.
/// </summary>
public sealed class CopyTable<T>
    where T : class
{
    private readonly Func<NpgsqlBinaryImporter, T, CancellationToken, Task>[] _columns;

    private CopyTable(string table, string sql, Func<NpgsqlBinaryImporter, T, CancellationToken, Task>[] columns)
    {
        Table = table;
        Sql = sql;
        _columns = columns;
    }

    /// <summary>The quoted table name.</summary>
    public string Table { get; }

    /// <summary>The COPY statement.</summary>
    public string Sql { get; }

    public static CopyTable<T> For(DbContext context)
    {
        var model = context.GetService<IDesignTimeModel>().Model;
        var entity = model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in {context.GetType().Name}'s model");
        var tableName = entity.GetTableName() ?? throw new InvalidOperationException($"{typeof(T).Name} is not mapped to a table");
        var store = StoreObjectIdentifier.Table(tableName, entity.GetSchema());
        var names = new List<string>();
        var columns = new List<Func<NpgsqlBinaryImporter, T, CancellationToken, Task>>();
        foreach (var property in entity.GetProperties())
        {
            if (property.GetValueGenerationStrategy() is NpgsqlValueGenerationStrategy.IdentityByDefaultColumn
                or NpgsqlValueGenerationStrategy.IdentityAlwaysColumn or NpgsqlValueGenerationStrategy.SerialColumn)
            {
                continue;
            }

            var info = property.PropertyInfo ?? throw new InvalidOperationException($"{typeof(T).Name}.{property.Name} has no CLR property to read");
            var column = property.GetColumnName(store) ?? throw new InvalidOperationException($"{typeof(T).Name}.{property.Name} has no column");
            var storeType = property.GetColumnType(store);
            // Binary COPY sends no type per value: the server reads each field with its column's
            // binary input function. Text, numbers, uuids, times, dates, bytea and text[] have one
            // wire form for every CLR type Npgsql infers; json and jsonb need telling.
            NpgsqlDbType? type = storeType switch
            {
                "jsonb" => NpgsqlDbType.Jsonb,
                "json" => NpgsqlDbType.Json,
                _ => null,
            };
            names.Add(Quote(column));
            columns.Add(Writer(info, type));
        }

        var table = (entity.GetSchema() is { } schema ? Quote(schema) + "." : string.Empty) + Quote(tableName);
        return new CopyTable<T>(table, $"COPY {table} ({string.Join(", ", names)}) FROM STDIN (FORMAT BINARY)", columns.ToArray());
    }

    /// <summary>Writes <paramref name="rows"/> with one COPY on <paramref name="connection"/> (in its current transaction, if any).</summary>
    public async Task<long> WriteAsync(NpgsqlConnection connection, IEnumerable<T> rows, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(Sql, ct);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            foreach (var column in _columns)
            {
                await column(importer, row, ct);
            }
        }

        return (long)await importer.CompleteAsync(ct);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static Func<NpgsqlBinaryImporter, T, CancellationToken, Task> Writer(PropertyInfo info, NpgsqlDbType? type)
    {
        var underlying = Nullable.GetUnderlyingType(info.PropertyType);
        var method = typeof(CopyTable<T>).GetMethod(underlying is null ? nameof(ValueWriter) : nameof(NullableWriter), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(underlying ?? info.PropertyType);
        return (Func<NpgsqlBinaryImporter, T, CancellationToken, Task>)method.Invoke(null, [info, type])!;
    }

    private static Func<NpgsqlBinaryImporter, T, CancellationToken, Task> ValueWriter<TValue>(PropertyInfo info, NpgsqlDbType? type)
    {
        var get = info.GetMethod!.CreateDelegate<Func<T, TValue>>();
        if (type is { } t)
        {
            return (w, row, ct) => get(row) is { } v ? w.WriteAsync(v, t, ct) : w.WriteNullAsync(ct);
        }

        return (w, row, ct) => get(row) is { } v ? w.WriteAsync(v, ct) : w.WriteNullAsync(ct);
    }

    private static Func<NpgsqlBinaryImporter, T, CancellationToken, Task> NullableWriter<TValue>(PropertyInfo info, NpgsqlDbType? type)
        where TValue : struct
    {
        var get = info.GetMethod!.CreateDelegate<Func<T, TValue?>>();
        if (type is { } t)
        {
            return (w, row, ct) => get(row) is { } v ? w.WriteAsync(v, t, ct) : w.WriteNullAsync(ct);
        }

        return (w, row, ct) => get(row) is { } v ? w.WriteAsync(v, ct) : w.WriteNullAsync(ct);
    }
}
