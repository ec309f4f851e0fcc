/** Who a participant is, as far as this node knows: its Kommune and AGS. */
export interface PeerName {
  kommune: string | null
  ags: string | null
}

export type WhoIs = (peerId: string) => PeerName

/**
 * The one answer to "who is this peer": this node itself from its config,
 * anyone else from the registry's participant list (null when unknown).
 */
export function whoIsFrom(
  self: { peerId: string; kommune: { name: string; ags: string } },
  directory?: { get: (peerId: string) => { kommune: string; ags: string } | undefined }
): WhoIs {
  return peerId => {
    if (peerId === self.peerId) return { kommune: self.kommune.name, ags: self.kommune.ags }
    const p = directory?.get(peerId)
    return { kommune: p?.kommune ?? null, ags: p?.ags ?? null }
  }
}
