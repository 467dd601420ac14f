using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Troupe.Runtime.Linux;

/// <summary>INTERNAL API. Unix-domain sockets at paths longer than <c>sun_path</c>'s 108 bytes.</summary>
internal static class UnixSocket
{
    /// <summary>
    /// Connect a <c>SOCK_SEQPACKET</c> socket (conmon's attach socket) to <paramref name="path"/>: directly when the path
    /// fits, else through <c>/proc/self/fd/N/NAME</c> of its folder opened with <c>O_PATH</c>, as podman does.
    /// </summary>
    public static async Task<Socket> ConnectSeqPacketAsync(string path, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        var dirFd = -1;
        try
        {
            var target = path;
            if (System.Text.Encoding.UTF8.GetByteCount(path) >= 100)
            {
                dirFd = LibC.open(Path.GetDirectoryName(path)!, LibC.O_PATH | LibC.O_CLOEXEC);
                if (dirFd < 0) throw new IOException($"open {Path.GetDirectoryName(path)}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                target = $"/proc/self/fd/{dirFd}/{Path.GetFileName(path)}";
            }
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(target), ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            if (dirFd >= 0) LibC.close(dirFd);
        }
    }
}
