using System.Security.Cryptography;
using System.Text;

namespace Lcr.Identity.Domain;

/// <summary>
/// Encrypts signing private keys at rest with AES-256-GCM under the key-encryption key.
/// Layout: version byte (1) | 12-byte nonce | 16-byte tag | ciphertext. The key id is bound
/// as associated data, so a ciphertext moved to another key's row does not decrypt.
/// </summary>
public sealed class KeyProtector
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _kek;

    public KeyProtector(byte[] keyEncryptionKey)
    {
        if (keyEncryptionKey.Length != 32)
        {
            throw new ArgumentException("The key-encryption key must be 32 bytes.", nameof(keyEncryptionKey));
        }

        _kek = keyEncryptionKey;
    }

    public byte[] Protect(ReadOnlySpan<byte> plaintext, string kid)
    {
        var output = new byte[1 + NonceSize + TagSize + plaintext.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_kek, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(1 + NonceSize + TagSize), output.AsSpan(1 + NonceSize, TagSize), Aad(kid));
        return output;
    }

    /// <summary>Decrypts; throws <see cref="CryptographicException"/> for a wrong key, a tampered blob or another key's blob.</summary>
    public byte[] Unprotect(ReadOnlySpan<byte> blob, string kid)
    {
        if (blob.Length < 1 + NonceSize + TagSize || blob[0] != Version)
        {
            throw new CryptographicException("Not a protected signing key.");
        }

        var plaintext = new byte[blob.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(_kek, TagSize);
        aes.Decrypt(blob.Slice(1, NonceSize), blob[(1 + NonceSize + TagSize)..], blob.Slice(1 + NonceSize, TagSize), plaintext, Aad(kid));
        return plaintext;
    }

    private static byte[] Aad(string kid) => Encoding.UTF8.GetBytes("lcr-identity-signing-key:" + kid);
}
