/**
 * A problem with an input file given to a network run (an image or a .npy array): unreadable, corrupt, of an
 * unsupported kind, or not fitting the network's input. The message names the file and the problem, reads as
 * a sentence a user can act on, and is shown as it is (no stack trace).
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
